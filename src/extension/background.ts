// Event page entry (MV3, and the MV2 build): wires Thunderbird's real APIs into the background logic.
import { startBackground } from './background-core.ts';
import { adaptMessenger } from './compat.ts';
import { openLedgerDb } from './ledger.ts';
import { platformMessenger } from './platform.ts';

startBackground({
  messenger: adaptMessenger(platformMessenger()),
  openDb: () => openLedgerDb(),
  fetch: (input, init) => fetch(input, init),
  clock: () => new Date(),
  random: Math.random,
  uuid: () => crypto.randomUUID(),
  yieldNow: () => new Promise((resolve) => setTimeout(resolve, 0)),
  sink: console,
});

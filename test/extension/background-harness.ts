// The event page over fakes, as the tests boot it: a Thunderbird with the BALF account and a managed
// configuration, a sink that keeps the status lines, a server that acknowledges every batch.
import { startBackground } from '../../src/extension/background-core.ts';
import { openLedgerDb } from '../../src/extension/ledger.ts';
import { STATUS_PREFIX, type StatusLine } from '../../src/extension/logger.ts';
import type { Messenger } from '../../src/extension/platform.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, SECRET, type TestClock } from './helpers.ts';

const ENDPOINT = 'http://127.0.0.1:8765';

export function thunderbird(options: { getHeaders?: boolean } = {}): FakeMessenger {
  const fake = new FakeMessenger(options);
  fake.accounts = [
    {
      id: 'account1',
      name: 'SIP Test',
      type: 'imap',
      identities: [{ email: 'SIP.Test@dgfip.finances.gouv.fr' }],
    },
    { id: 'account2', name: 'Perso', type: 'imap', identities: [{ email: 'agent@dgfip.finances.gouv.fr' }] },
  ];
  fake.managed = {
    endpoint: ENDPOINT,
    token: 'jeton',
    secret: SECRET,
    balfs: [BALF],
    internalDomains: ['dgfip.finances.gouv.fr'],
    logLevel: 'debug',
  };
  return fake;
}

export function sinkWithLines() {
  const lines: string[] = [];
  const sink = {
    error: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    info: (...args: unknown[]) => void lines.push(args.map(String).join(' ')),
  };
  const statuses = () =>
    lines
      .filter((l) => l.startsWith(STATUS_PREFIX))
      .map((l) => JSON.parse(l.slice(STATUS_PREFIX.length)) as StatusLine);
  return { sink, lines, statuses };
}

/** `over.messenger`: the API as the add-on sees it (e.g. through compat.ts); the fake's own by default. */
export function boot(
  fake: FakeMessenger,
  dbName: string,
  clock: TestClock,
  over: { messenger?: Messenger } & Record<string, unknown> = {},
) {
  const out = sinkWithLines();
  const posted: { batchId: string; schema: number; records: Record<string, unknown>[] }[] = [];
  const fetchFn = (async (_url: string, init?: RequestInit) => {
    posted.push(JSON.parse(String(init?.body)) as (typeof posted)[number]);
    return new Response('{"accepted":1,"duplicates":0}', { status: 200 });
  }) as unknown as typeof fetch;
  let n = 0;
  const bg = startBackground({
    messenger: fake.api,
    openDb: () => openLedgerDb(dbName),
    fetch: fetchFn,
    clock: clock.fn,
    random: () => 0.5,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    yieldNow: async () => undefined,
    sink: out.sink,
    ...over,
  });
  return { bg, posted, ...out };
}

/** Polls `check` every few ms (real time) until it holds; throws after `ms`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met in time');
}

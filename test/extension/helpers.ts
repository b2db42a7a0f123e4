// Shared test helpers: a fresh ledger per test, a settable clock, a config without config.ts defaults.
import 'fake-indexeddb/auto';
import type { Config } from '../../src/extension/config.ts';
import type { FakeMessenger } from './fake-messenger.ts';
import { Ledger, openLedgerDb, Up, type LedgerRow } from '../../src/extension/ledger.ts';

let dbCount = 0;
export function freshDbName(): string {
  return `suivi-test-${++dbCount}-${Math.random().toString(36).slice(2)}`;
}

export async function freshLedger(): Promise<Ledger> {
  return new Ledger(await openLedgerDb(freshDbName()));
}

export const BALF = 'sip.test@dgfip.finances.gouv.fr';
export const SECRET = 'secret-de-deploiement-0123456789';

export function testConfig(over: Partial<Config> = {}): Config {
  return {
    endpoint: 'http://127.0.0.1:8080',
    token: 'jeton-test',
    secret: SECRET,
    balfs: [BALF],
    balfPattern: undefined,
    internalDomains: ['dgfip.finances.gouv.fr'],
    region: 'metropole',
    department: undefined,
    targets: [
      { id: 'marianne-5j', label: 'Marianne', workingDays: 5 },
      { id: 'dgfip-48h', label: '48 h', workingDays: 2 },
    ],
    primaryTarget: { id: 'marianne-5j', label: 'Marianne', workingDays: 5 },
    backfillDays: 90,
    uploadIntervalMinutes: 15,
    logLevel: 'debug',
    whitMondayWorked: false,
    allowSpotCheckUpload: false,
    notifyDue: false,
    ...over,
  };
}

export class TestClock {
  constructor(public now: Date) {}
  readonly fn = (): Date => new Date(this.now);
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

let keyCount = 0;
/** A valid 22-character key. */
export function fakeKey(): string {
  return `k${String(++keyCount).padStart(21, '0')}`;
}

export function row(over: Partial<LedgerRow> = {}): LedgerRow {
  const at = over.at ?? '2026-11-16T08:12:00.000Z';
  const key = over.key ?? fakeKey();
  return {
    balf: BALF,
    key,
    dir: 'in',
    at,
    atMs: Date.parse(at),
    cat: 'usager',
    up: Up.pending,
    headerMessageId: `${key}@example.org`,
    correspondent: 'jean.usager@example.org',
    subject: 'Objet confidentiel',
    folder: '/INBOX',
    firstSeen: '2026-11-20T10:00:00.000Z',
    ...over,
  };
}

/** What a scan needs, over the fake messenger: its reads and lists, the clock, no wait between pages. */
export function scanDeps(fake: FakeMessenger, ledger: Ledger, clock: TestClock, over: object = {}) {
  return {
    ledger,
    getFull: fake.api.messages.getFull,
    query: fake.api.messages.query,
    continueList: fake.api.messages.continueList,
    clock: clock.fn,
    yieldNow: async () => undefined,
    ...over,
  };
}

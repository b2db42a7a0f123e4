// The add-on's storage watch over the fake messenger: what it reads from Thunderbird, when a reading is
// worth sending, how the server's answers are handled, and its wiring into the event page.
import { describe, expect, it } from 'vitest';
import { storageReportSchema, type StorageReport } from '../../src/core/storage-protocol.ts';
import { startBackground } from '../../src/extension/background-core.ts';
import { Ledger, openLedgerDb } from '../../src/extension/ledger.ts';
import { makeLogger } from '../../src/extension/logger.ts';
import type { Answers } from '../../src/extension/runtime-messages.ts';
import {
  ALARM_QUOTA,
  ALARM_QUOTA_SOON,
  QUOTA_PERIOD_MINUTES,
  QUOTA_SOON_MS,
  QuotaWatch,
  UNSUPPORTED_RETRY_MS,
  quotaEntries,
} from '../../src/extension/quota.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshDbName, SECRET, TestClock, testConfig } from './helpers.ts';

const MiB = 1024 * 1024;
const CLIENT = { id: 'install-1', addon: '0.1.0', thunderbird: '153.0' };
const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

/** The BALF's account as Thunderbird lists it with its folders (INBOX found by its special use). */
function thunderbird(): FakeMessenger {
  const fake = new FakeMessenger();
  const folder = (name: string, use: string) => ({
    accountId: 'account1',
    id: `account1://${name}`,
    path: `/${name}`,
    specialUse: [use],
  });
  const rootFolder = { accountId: 'account1', id: 'account1://', path: '/' };
  fake.accounts = [
    {
      id: 'account1',
      type: 'imap',
      identities: [{ email: BALF }],
      rootFolder: { ...rootFolder, subFolders: [folder('Sent', 'sent'), folder('INBOX', 'inbox')] },
    },
  ];
  return fake;
}

/** Thunderbird's entry for a STORAGE quota root (bytes, with its `unused`). */
const storage = (used: number, limit: number) => ({ type: 'STORAGE', used, limit, unused: limit - used });

interface Posted {
  url: string;
  body: StorageReport;
}

function setup(answer: () => Response | Promise<Response> = () => Response.json({ stored: 1 })) {
  const fake = thunderbird();
  const clock = new TestClock(new Date('2026-11-16T08:10:00Z'));
  const posted: Posted[] = [];
  const fetchFn = (async (url: string, init?: RequestInit) => {
    posted.push({ url, body: storageReportSchema.parse(JSON.parse(String(init?.body))) as StorageReport });
    return answer();
  }) as unknown as typeof fetch;
  const watch = new QuotaWatch({
    messenger: fake.api,
    fetch: fetchFn,
    clock: clock.fn,
    log: makeLogger('quota', () => 'debug', quiet),
  });
  const accounts = [{ accountId: 'account1', balf: BALF }];
  return { fake, clock, posted, watch, accounts };
}

const ledger = async () => new Ledger(await openLedgerDb(freshDbName()));

describe('quotaEntries', () => {
  it('keeps STORAGE in bytes and MESSAGE in messages, and leaves out what is not a quota', () => {
    expect(
      quotaEntries([
        storage(771_072, 10 * MiB),
        { type: 'MESSAGE', used: 12, limit: 1000 },
        { type: 'STORAGE', used: -1, limit: 10 },
        { type: 'STORAGE', used: 1.5, limit: 10 },
        { type: 'OTHER', used: 1, limit: 10 },
        { used: 1, limit: 2 },
        null,
      ]),
    ).toEqual([
      { type: 'STORAGE', unit: 'byte', used: 771_072, limit: 10 * MiB },
      { type: 'MESSAGE', unit: 'message', used: 12, limit: 1000 },
    ]);
  });

  it('gives no entry (« quota inconnu ») when Thunderbird gives no quota', () => {
    expect(quotaEntries(undefined)).toEqual([]);
    expect(quotaEntries(null)).toEqual([]);
    expect(quotaEntries('x')).toEqual([]);
  });
});

describe('QuotaWatch', () => {
  it('reads the INBOX quota of each watched BALF and sends it to /api/v1/quota-samples', async () => {
    const { fake, posted, watch, accounts } = setup();
    fake.quotas.set('account1://INBOX', [storage(2 * MiB, 10 * MiB)]);
    const l = await ledger();
    expect(await watch.read(l, accounts)).toBe(true);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.url).toBe('http://127.0.0.1:8080/api/v1/quota-samples');
    expect(posted[0]!.body).toEqual({
      schema: 1,
      client: CLIENT,
      samples: [
        {
          balf: BALF,
          at: '2026-11-16T08:10:00.000Z',
          quota: [{ type: 'STORAGE', unit: 'byte', used: 2 * MiB, limit: 10 * MiB }],
        },
      ],
    });
    expect(await watch.uses(l, [BALF])).toEqual([
      { balf: BALF, usedBytes: 2 * MiB, limitBytes: 10 * MiB, percent: 20, band: 'ok' },
    ]);
    // Sent: nothing waits any more.
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(1);
  });

  it('sends an empty quota, never 0 %, when Thunderbird or the IMAP server gives none', async () => {
    const { posted, watch, accounts } = setup();
    const l = await ledger();
    await watch.read(l, accounts);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted[0]!.body.samples).toEqual([{ balf: BALF, at: '2026-11-16T08:10:00.000Z', quota: [] }]);
    expect(await watch.uses(l, [BALF])).toEqual([]);
  });

  it('takes no reading of a BALF whose folder cannot be read (that is not « no quota »)', async () => {
    const { fake, watch, accounts } = setup();
    fake.quotas.set('account1://INBOX', new Error('folder not found'));
    expect(await watch.read(await ledger(), accounts)).toBe(false);
    // An account Thunderbird does not list any more: nothing either.
    fake.accounts = [];
    expect(await watch.read(await ledger(), accounts)).toBe(false);
  });

  it('keeps one reading an hour unless the use moves by 1 % of the quota, the limit changes or the quota goes', async () => {
    const { fake, clock, posted, watch, accounts } = setup();
    const l = await ledger();
    const cfg = testConfig();
    const at = (used: number, limit = 10 * MiB) =>
      fake.quotas.set('account1://INBOX', [storage(used, limit)]);
    const round = async () => {
      await watch.read(l, accounts);
      await watch.send(l, cfg, CLIENT);
      return posted.length;
    };
    at(2 * MiB);
    expect(await round()).toBe(1);
    clock.advance(10 * 60_000);
    at(2 * MiB + 50_000); // < 1 % of 10 MiB: the same hour's point stands
    expect(await round()).toBe(1);
    at(2 * MiB + 110_000); // ≥ 1 % since the last sent
    expect(await round()).toBe(2);
    at(2 * MiB + 110_000, 20 * MiB); // the administrators raised the quota
    expect(await round()).toBe(3);
    fake.quotas.delete('account1://INBOX'); // the quota goes
    expect(await round()).toBe(4);
    expect(posted[3]!.body.samples[0]!.quota).toEqual([]);
    clock.advance(60 * 60_000); // a new UTC hour: a point even without change
    expect(await round()).toBe(5);
  });

  it('keeps the readings on 5xx, 429 or no answer; drops them on another 4xx', async () => {
    let status = 503;
    const { fake, posted, watch, accounts, clock } = setup(() => {
      if (status === 0) throw new TypeError('fetch failed');
      return new Response('{}', { status });
    });
    fake.quotas.set('account1://INBOX', [storage(MiB, 10 * MiB)]);
    const l = await ledger();
    await watch.read(l, accounts);
    for (const s of [503, 429, 0]) {
      status = s;
      await watch.send(l, testConfig(), CLIENT);
    }
    expect(posted).toHaveLength(3);
    expect(posted.every((p) => p.body.samples[0]!.at === '2026-11-16T08:10:00.000Z')).toBe(true);
    status = 400;
    await watch.send(l, testConfig(), CLIENT);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(4);
    // The next hour's reading goes.
    clock.advance(3_600_000);
    await watch.read(l, accounts);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(5);
  });

  it('asks a server without the storage watch (404) again only after a day', async () => {
    let status = 404;
    const { fake, clock, posted, watch, accounts } = setup(() => new Response('', { status }));
    fake.quotas.set('account1://INBOX', [storage(MiB, 10 * MiB)]);
    const l = await ledger();
    const hourly = async () => {
      clock.advance(3_600_000);
      await watch.read(l, accounts);
      await watch.send(l, testConfig(), CLIENT);
    };
    await watch.read(l, accounts);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(1);
    status = 200;
    for (let h = 1; h < UNSUPPORTED_RETRY_MS / 3_600_000; h++) await hourly();
    expect(posted).toHaveLength(1);
    await hourly();
    expect(posted).toHaveLength(2);
  });

  it('sends nothing without an endpoint or a token', async () => {
    const { fake, posted, watch, accounts } = setup();
    fake.quotas.set('account1://INBOX', [storage(MiB, 10 * MiB)]);
    const l = await ledger();
    await watch.read(l, accounts);
    await watch.send(l, testConfig({ endpoint: undefined }), CLIENT);
    await watch.send(l, testConfig({ token: undefined }), CLIENT);
    expect(posted).toHaveLength(0);
    await watch.send(l, testConfig(), CLIENT);
    expect(posted).toHaveLength(1);
  });
});

describe('storage watch in the event page', () => {
  it('reads at start-up, hourly and shortly after a folder changes; sends with the upload round', async () => {
    const fake = thunderbird();
    fake.managed = { endpoint: 'http://127.0.0.1:8765', token: 'jeton', secret: SECRET, balfs: [BALF] };
    fake.quotas.set('account1://INBOX', [storage(8 * MiB, 10 * MiB)]);
    const clock = new TestClock(new Date('2026-11-16T08:10:00Z'));
    const posted: { url: string; body: unknown }[] = [];
    const fetchFn = (async (url: string, init?: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init?.body)) });
      return Response.json({ accepted: 0, duplicates: 0, stored: 1 });
    }) as unknown as typeof fetch;
    const bg = startBackground({
      messenger: fake.api,
      openDb: () => openLedgerDb(freshDbName()),
      fetch: fetchFn,
      clock: clock.fn,
      random: () => 0.5,
      uuid: () => '00000000-0000-4000-8000-000000000001',
      yieldNow: async () => undefined,
      sink: quiet,
    });
    await bg.ready;
    expect(fake.alarms.get(ALARM_QUOTA)?.periodInMinutes).toBe(QUOTA_PERIOD_MINUTES);
    await fake.events.onStartup.fire();
    await bg.idle();
    const quotaPosts = () => posted.filter((p) => p.url.endsWith('/api/v1/quota-samples'));
    expect(quotaPosts()).toHaveLength(1);
    expect(quotaPosts()[0]!.body).toMatchObject({
      samples: [{ balf: BALF, quota: [{ type: 'STORAGE', unit: 'byte', used: 8 * MiB, limit: 10 * MiB }] }],
    });
    // The popup's storage line reads the same reading: 80 % is « 80 % ou plus » (core's storageBand).
    const storageInPopup = async () =>
      ((await bg.handle({ type: 'popup/summary' })) as Answers['popup/summary']).balfs[0]?.storage;
    expect(await storageInPopup()).toEqual({
      balf: BALF,
      usedBytes: 8 * MiB,
      limitBytes: 10 * MiB,
      percent: 80,
      band: 'warning',
    });

    // Mail deleted: the folder event plans a reading QUOTA_SOON_MS later, sent with the next round.
    fake.quotas.set('account1://INBOX', [storage(6 * MiB, 10 * MiB)]);
    await fake.events.onFolderInfoChanged.fire({ accountId: 'account1', path: '/INBOX' }, {});
    await bg.idle();
    expect(fake.alarms.get(ALARM_QUOTA_SOON)?.when).toBe(clock.now.getTime() + QUOTA_SOON_MS);
    clock.advance(QUOTA_SOON_MS);
    await fake.events.onAlarm.fire({ name: ALARM_QUOTA_SOON });
    await fake.events.onAlarm.fire({ name: 'upload' });
    await bg.idle();
    expect(quotaPosts()).toHaveLength(2);
    expect(quotaPosts()[1]!.body).toMatchObject({ samples: [{ quota: [{ used: 6 * MiB }] }] });
    expect(await storageInPopup()).toMatchObject({ percent: 60, band: 'ok' });

    // The hourly alarm: a point for the new hour.
    clock.advance(3_600_000);
    await fake.events.onAlarm.fire({ name: ALARM_QUOTA });
    await fake.events.onAlarm.fire({ name: 'upload' });
    await bg.idle();
    expect(quotaPosts()).toHaveLength(3);

    // The IMAP server stops giving a quota: the popup has no figure (« quota inconnu »), never 0 %.
    fake.quotas.delete('account1://INBOX');
    clock.advance(QUOTA_SOON_MS);
    await fake.events.onAlarm.fire({ name: ALARM_QUOTA_SOON });
    await bg.idle();
    expect(await storageInPopup()).toBeNull();
  });
});

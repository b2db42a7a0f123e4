// Notices of due usager messages (setting notifyDue): once per message, one notice per BALF per look, none
// for a message still counted from the list alone, none while the setting is off (its default).
import { describe, expect, it } from 'vitest';
import { ALARM_SCAN, ALARM_SCAN_SOON } from '../../src/extension/background-core.ts';
import { DUE_NOTICE_ID_PREFIX, DUE_NOTICES_KEY, notifyDue } from '../../src/extension/due-notices.ts';
import { makeLogger } from '../../src/extension/logger.ts';
import type { WaitingMessage } from '../../src/extension/waiting.ts';
import { boot, thunderbird } from './background-harness.ts';
import { eml, INBOX } from './eml.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshDbName, freshLedger, TestClock } from './helpers.ts';

const OTHER = 'sie.test@dgfip.finances.gouv.fr';
const warnings: string[] = [];
const log = makeLogger('test', () => 'warn', {
  error: () => undefined,
  warn: (...args: unknown[]) => void warnings.push(args.map(String).join(' ')),
  info: () => undefined,
  debug: () => undefined,
});

const message = (key: string, over: Partial<WaitingMessage> = {}): WaitingMessage => ({
  key,
  headerMessageId: `${key}@example.org`,
  subject: `Objet ${key}`,
  correspondent: `${key}@example.org`,
  receivedAt: '2026-11-16T08:12:00.000Z',
  ageDays: 4,
  dueOn: '2026-11-23',
  bucket: 'dueSoon',
  provisional: false,
  ...over,
});

async function setup() {
  const fake = new FakeMessenger();
  const ledger = await freshLedger();
  const t = (name: string, subs?: string | string[]) => fake.api.i18n.getMessage(name, subs);
  const deps = { messenger: fake.api, ledger, log, t, formatDay: (d: string) => `le ${d}` };
  return { fake, ledger, look: (w: [string, WaitingMessage[]][]) => notifyDue(deps, new Map(w)) };
}

describe('notifyDue', () => {
  it('tells once per message, one notice per BALF, and leaves out messages in time or provisional', async () => {
    const { fake, look } = await setup();
    const first = [
      message('a'),
      message('b', { bucket: 'overdue', provisional: true }),
      message('c', { bucket: 'inTime', ageDays: 1 }),
    ];
    expect(
      await look([
        [BALF, first],
        [OTHER, [message('d', { bucket: 'inTime' })]],
      ]),
    ).toBe(1);
    // The fake catalogue answers « name|substitutions ».
    expect(fake.notifications).toEqual([
      {
        id: `${DUE_NOTICE_ID_PREFIX}${BALF}`,
        title: `dueNoticeDueTitle|${BALF}`,
        message: 'dueNoticeDueOne|Objet a|a@example.org|le 2026-11-23',
      },
    ]);
    // The same look again: nothing new. « a » late now: already told, not told again.
    expect(
      await look([
        [BALF, first],
        [OTHER, []],
      ]),
    ).toBe(0);
    const later = [message('a', { bucket: 'overdue' }), ...first.slice(1)];
    expect(
      await look([
        [BALF, later],
        [OTHER, []],
      ]),
    ).toBe(0);
    // « b » refined (still usager) and « c » due: one notice for both, the oldest named.
    const refined = [
      message('a', { bucket: 'overdue' }),
      message('b', { bucket: 'overdue', subject: null, correspondent: null }),
      message('c', { bucket: 'dueSoon' }),
    ];
    expect(await look([[BALF, refined]])).toBe(1);
    expect(fake.notifications[1]).toEqual({
      id: `${DUE_NOTICE_ID_PREFIX}${BALF}`,
      title: `dueNoticeManyTitle|2|${BALF}`,
      message: 'dueNoticeMany|1|popupNoSubject|—',
    });
  });

  it('forgets answered messages, so that the memory stays the size of the backlog', async () => {
    const { fake, ledger, look } = await setup();
    await look([[BALF, [message('a'), message('b', { bucket: 'overdue' })]]]);
    await look([[BALF, [message('b', { bucket: 'overdue' })]]]);
    expect(await ledger.getMeta(DUE_NOTICES_KEY)).toEqual({ [BALF]: ['b'] });
    expect(fake.notifications).toHaveLength(1);
    expect(fake.notifications[0]?.title).toBe(`dueNoticeManyTitle|2|${BALF}`);
  });

  it('tries again at the next look when the notice could not be shown', async () => {
    const { fake, look } = await setup();
    const create = fake.api.notifications!.create.bind(fake.api.notifications);
    let failing = true;
    Object.defineProperty(fake.api.notifications, 'create', {
      value: async (...args: Parameters<typeof create>) => {
        if (failing) throw new Error('notifications unavailable');
        return create(...args);
      },
    });
    warnings.length = 0;
    expect(await look([[BALF, [message('a')]]])).toBe(0);
    expect(warnings.join('\n')).toContain('due notice not shown');
    failing = false;
    expect(await look([[BALF, [message('a')]]])).toBe(1);
    expect(fake.notifications).toHaveLength(1);
  });
});

describe('due notices in the event page', () => {
  const start = async (managed: Record<string, unknown>) => {
    const fake = thunderbird();
    fake.managed = { ...fake.managed, ...managed };
    // Received Monday 16 November, unanswered: « en retard » on Wednesday 25 (7 working days, target 5).
    fake.addMessage(eml('question-from-usager', INBOX));
    const clock = new TestClock(new Date('2026-11-25T15:00:00Z'));
    const { bg } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    await bg.idle();
    return { fake, bg, clock };
  };

  it('shows none by default, even once the account is synced', async () => {
    const { fake, bg, clock } = await start({});
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(fake.notifications).toEqual([]);
  });

  it('with notifyDue set by the administrator: one notice once the account is synced, not again at the next walks', async () => {
    const { fake, bg, clock } = await start({ notifyDue: true });
    // One walk does not tell that Thunderbird has synced the account (a reply may still come from Sent).
    expect(fake.notifications).toEqual([]);
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(fake.notifications).toEqual([
      {
        id: `${DUE_NOTICE_ID_PREFIX}${BALF}`,
        title: `dueNoticeOverdueTitle|${BALF}`,
        message: expect.stringMatching(
          /^dueNoticeOverdueOne\|Question sur ma taxe foncière\|jean\.usager@example\.org\|/,
        ),
      },
    ]);
    clock.advance(10 * 60_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN });
    await bg.idle();
    expect(fake.notifications).toHaveLength(1);
  });
});

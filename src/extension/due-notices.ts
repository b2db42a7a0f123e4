// Optional system notice (setting `notifyDue`, off by default) when a BALF's waiting usager message
// reaches « à échéance » or « en retard »: once per message, at most one notice per BALF per look.
import type { GetMessage } from './i18n.ts';
import type { Ledger } from './ledger.ts';
import type { Logger } from './logger.ts';
import type { Messenger } from './platform.ts';
import type { WaitingMessage } from './waiting.ts';

/** Ledger meta: per BALF, the keys of the waiting messages already notified. */
export const DUE_NOTICES_KEY = 'dueNotices';
export const DUE_NOTICE_ID_PREFIX = 'suivi-balf-due-';

type Notified = Record<string, string[]>;

export interface DueNotice {
  title: string;
  message: string;
}

/**
 * The notice of the messages of one BALF that just became due, or null when none did. One message: its
 * subject, correspondent and due day; several: how many, how many late, and the oldest.
 */
export function dueNotice(
  balf: string,
  fresh: readonly WaitingMessage[],
  t: GetMessage,
  formatDay: (day: string) => string,
): DueNotice | null {
  const oldest = fresh[0];
  if (!oldest) return null;
  const subject = oldest.subject || t('popupNoSubject');
  const from = oldest.correspondent ?? '—';
  if (fresh.length === 1) {
    return {
      title: t(oldest.bucket === 'overdue' ? 'dueNoticeOverdueTitle' : 'dueNoticeDueTitle', [balf]),
      message: t(oldest.bucket === 'overdue' ? 'dueNoticeOverdueOne' : 'dueNoticeDueOne', [
        subject,
        from,
        formatDay(oldest.dueOn),
      ]),
    };
  }
  const late = fresh.filter((m) => m.bucket === 'overdue').length;
  return {
    title: t('dueNoticeManyTitle', [String(fresh.length), balf]),
    message: t('dueNoticeMany', [String(late), subject, from]),
  };
}

export interface DueNoticeDeps {
  messenger: Pick<Messenger, 'notifications'>;
  ledger: Ledger;
  log: Logger;
  t: GetMessage;
  formatDay: (day: string) => string;
}

/**
 * Shows a notice per BALF for its due or late messages not notified yet, then remembers them. Messages
 * still counted from the list alone wait (a newsletter taken for an usager must not ring); the memory
 * keeps only messages still due, so it stays as small as the backlog. Returns the notices shown.
 */
export async function notifyDue(
  deps: DueNoticeDeps,
  waitingByBalf: ReadonlyMap<string, readonly WaitingMessage[]>,
): Promise<number> {
  const notified = (await deps.ledger.getMeta<Notified>(DUE_NOTICES_KEY)) ?? {};
  const next: Notified = {};
  let shown = 0;
  for (const [balf, waiting] of waitingByBalf) {
    const before = new Set(notified[balf] ?? []);
    const due = waiting.filter((m) => m.bucket !== 'inTime' && !m.provisional);
    const fresh = due.filter((m) => !before.has(m.key));
    next[balf] = due.map((m) => m.key);
    const notice = dueNotice(balf, fresh, deps.t, deps.formatDay);
    if (!notice) continue;
    const notifications = 'notifications' in deps.messenger ? deps.messenger.notifications : undefined;
    if (!notifications) {
      deps.log.warn('due notice: no notification service');
      continue;
    }
    try {
      // One id per BALF: a newer notice replaces the one still on screen.
      await notifications.create(`${DUE_NOTICE_ID_PREFIX}${balf}`, { type: 'basic', ...notice });
      shown += 1;
    } catch (error) {
      // Not remembered: the next look tries again.
      next[balf] = [...before].filter((k) => next[balf]!.includes(k));
      deps.log.warn('due notice not shown', error instanceof Error ? error.message : error);
    }
  }
  await deps.ledger.setMeta(DUE_NOTICES_KEY, next);
  return shown;
}

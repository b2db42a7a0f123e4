// The send path's second look (compose.onAfterSend): a reply that left from another identity than the
// BALF's — the agent's personal address, or another BALF of this Thunderbird — and names a message a
// watched BALF received is counted at once as that BALF's answer, flagged `via`. Of such a send only its
// reference headers are read (src/core/foreign-replies.ts); one that answers no BALF leaves no trace.
import { parseAddress } from '../core/address.ts';
import {
  foreignAnswers,
  foreignSendHeaders,
  foreignSendKind,
  type ForeignAnswer,
} from '../core/foreign-replies.ts';
import { messageKey, referencedMessageIds } from '../core/keys.ts';
import type { Via } from '../core/protocol.ts';
import { balfAddressOf, type Config } from './config.ts';
import { Up, type Ledger, type LedgerRow } from './ledger.ts';
import type { Logger } from './logger.ts';
import type { Clock, MessageHeader, MessagePart, Messenger, SendInfo } from './platform.ts';
import type { BalfAccount } from './scanner.ts';

export interface SendWatchDeps {
  ledger: Ledger;
  /** Headers of one message by id (getHeaders where Thunderbird has it, getFull's otherwise). */
  readHeaders: (id: number) => Promise<Record<string, string[]>>;
  /** One message header by id (messages.get): the answered message when no copy was saved. */
  getMessage?: (id: number) => Promise<MessageHeader>;
  clock: Clock;
}

/** A foreign answer as counted: the BALF it answers, how, and who sent it (a BALF's address, or null). */
export interface CountedAnswer {
  balf: string;
  via: Via;
  /** The sending BALF for `other-balf`; null for a personal address (which is not kept). */
  fromBalf: string | null;
}

/**
 * Whether Thunderbird reports a failed send. Its `error` may be missing: with the SMTP server down,
 * Thunderbird 153 passes the failure's message, undefined, which does not survive the event's copy. A
 * failed send has no copy and no Message-ID either, while a successful one always has one or the other
 * (`headerMessageId` for a send now, the Outbox copy for a send later).
 */
export const sendFailed = (info: SendInfo): boolean =>
  'error' in info || (!info.headerMessageId && (info.messages?.length ?? 0) === 0);

const idOf = (raw: string | undefined): string => (raw ?? '').trim().replace(/^<|>$/g, '');

/**
 * The Message-IDs a send names, In-Reply-To first then References nearest first, as for the BALF's own
 * replies (ingest.ts), read from the saved copy's reference headers; without a copy, the message the
 * compose window answered (Thunderbird 147+ hands the compose details to onAfterSend).
 */
async function namedMessages(
  deps: SendWatchDeps,
  info: SendInfo,
): Promise<{ ids: string[]; kind: ReturnType<typeof foreignSendKind> } | null> {
  const composeType = info.details?.type;
  const copy = info.messages?.[0];
  if (copy) {
    const headers = foreignSendHeaders(await deps.readHeaders(copy.id));
    const all = (name: string): string => [headers[name] ?? []].flat().join(' ');
    return {
      ids: [
        ...referencedMessageIds(all('in-reply-to')),
        ...referencedMessageIds(all('references')).reverse(),
      ],
      kind: foreignSendKind(headers, composeType),
    };
  }
  const related = info.details?.relatedMessageId;
  if (related === undefined || !deps.getMessage || composeType === undefined) return null;
  const answered = idOf((await deps.getMessage(related)).headerMessageId);
  return { ids: answered ? [answered] : [], kind: foreignSendKind({}, composeType) };
}

/**
 * Counts a successful send (`sendNow`) as the answer of every watched BALF, other than its sender, that
 * received a message it names; returns what it counted (the ledger write is idempotent). A failed send
 * counts nothing: its retry, a new send, is counted then.
 */
export async function countForeignAnswers(
  deps: SendWatchDeps,
  cfg: Config,
  accounts: readonly BalfAccount[],
  info: SendInfo,
): Promise<CountedAnswer[]> {
  const secret = cfg.secret;
  if (secret === undefined || sendFailed(info)) return [];
  // A send put in the Outbox ("send later") has not reached anyone yet.
  if (info.mode !== undefined && info.mode !== 'sendNow') return [];
  const sender = parseAddress(info.details?.from ?? info.messages?.[0]?.author ?? '').address;
  const sentId = idOf(info.headerMessageId ?? info.messages?.[0]?.headerMessageId);
  const watched = [...new Set(accounts.map((a) => a.balf))];
  // No BALF other than the sender's: nothing to look at, and nothing of the send is read.
  if (sender === '' || sentId === '' || watched.every((b) => b === sender)) return [];
  const named = await namedMessages(deps, info);
  if (named === null || named.kind !== 'reply') return [];
  const refKeys = await Promise.all([...new Set(named.ids)].map((id) => messageKey(secret, id)));
  const received = new Map<string, Set<string>>();
  for (const balf of watched) {
    const rows = await deps.ledger.rowsOf(balf, refKeys);
    received.set(balf, new Set(rows.filter((r) => r.dir === 'in').map((r) => r.key)));
  }
  const senderIsBalf = balfAddressOf(cfg, [{ email: sender }]) !== undefined;
  const answers = foreignAnswers(
    { sender, kind: named.kind, refKeys },
    senderIsBalf ? [...watched, sender] : watched,
    (balf, key) => received.get(balf)?.has(key) ?? false,
  );
  if (answers.length === 0) return [];
  const key = await messageKey(secret, sentId);
  const now = deps.clock();
  const rows = answers.map((a: ForeignAnswer): LedgerRow => ({
    balf: a.balf,
    key,
    dir: 'out',
    at: now.toISOString(),
    atMs: now.getTime(),
    cat: 'reply',
    re: a.re,
    via: a.via,
    up: Up.pending,
    // Of a personal send, the ledger keeps its id (to open it from the sampling panel) and nothing else.
    headerMessageId: sentId,
    firstSeen: now.toISOString(),
  }));
  const fresh = new Set<string>();
  for (const row of rows) if ((await deps.ledger.addIfAbsent([row])) > 0) fresh.add(row.balf);
  return answers
    .filter((a) => fresh.has(a.balf))
    .map((a) => ({ balf: a.balf, via: a.via, fromBalf: a.via === 'other-balf' ? sender : null }));
}

/** The gentle notice after a foreign answer: which BALF it was counted for, and a reminder. */
export function foreignAnswerNotice(
  counted: readonly CountedAnswer[],
  getMessage: (name: string, substitutions?: string | string[]) => string,
): { title: string; message: string } | null {
  const first = counted[0];
  if (!first) return null;
  const balfs = [...new Set(counted.map((c) => c.balf))].join(', ');
  return {
    title: getMessage('sendViaTitle'),
    message:
      first.via === 'personal'
        ? getMessage('sendViaPersonal', [balfs])
        : getMessage('sendViaOtherBalf', [first.fromBalf ?? '', balfs]),
  };
}

export interface WatchSendDeps {
  messenger: Pick<Messenger, 'messages' | 'notifications' | 'i18n'>;
  ledger: Ledger;
  clock: Clock;
  log: Logger;
  readHeaders: (id: number) => Promise<MessagePart>;
}

/**
 * The onAfterSend hook of the event page: counts the foreign answers of one send, shows the agent the
 * notice, and logs what it did — with what the BALF's own path counted of it — in one line the
 * real-Thunderbird tests read. Returns how many foreign answers it counted.
 */
export async function watchSend(
  deps: WatchSendDeps,
  cfg: Config,
  accounts: readonly BalfAccount[],
  info: SendInfo,
  /** Copies of this send the BALF's own counting path has just counted (for the log line). */
  ownCounted = 0,
): Promise<number> {
  const m = deps.messenger;
  const counted = await countForeignAnswers(
    {
      ledger: deps.ledger,
      readHeaders: async (id) => (await deps.readHeaders(id)).headers ?? {},
      // The fake messenger of the unit tests throws on reading what it does not model: ask with `in` first.
      ...('get' in m.messages && typeof m.messages.get === 'function'
        ? { getMessage: m.messages.get.bind(m.messages) }
        : {}),
      clock: deps.clock,
    },
    cfg,
    accounts,
    info,
  );
  deps.log.debug(
    `send: ${JSON.stringify({
      mode: info.mode ?? null,
      failed: sendFailed(info),
      copies: info.messages?.length ?? 0,
      counted: ownCounted,
      foreign: counted.map(({ balf, via }) => ({ balf, via })),
    })}`,
  );
  const notice = foreignAnswerNotice(counted, (name, subs) => m.i18n.getMessage(name, subs));
  if (notice && 'notifications' in m && m.notifications) {
    // A notice that cannot be shown (no notification service) must not undo the count.
    await m.notifications
      .create(`suivi-balf-via-${deps.clock().getTime()}`, { type: 'basic', ...notice })
      .catch((error: unknown) =>
        deps.log.warn('notice not shown', error instanceof Error ? error.message : error),
      );
  }
  return counted.length;
}

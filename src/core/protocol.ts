/**
 * Wire formats shared by the add-on and the collection server: the upload body of
 * `POST /api/v1/tallies`, the spot-check summary of `POST /api/v1/spot-checks`, and the answer of
 * `GET /api/v1/stats`. One definition (zod schema + inferred type) so both sides agree.
 */
import { z } from 'zod';
import { canonicalUtcMs } from './local-time.ts';

/**
 * Version of the spot-check summary format (`POST /api/v1/spot-checks`). Bump only with a server that
 * accepts both.
 */
export const PROTOCOL_SCHEMA = 1;
/**
 * Version of the upload format (`POST /api/v1/tallies`) the add-on writes. 2 adds `hdr` (received mail
 * classified with its own headers), `hre` (earlier messages of the same request a reply also closes) and
 * `via` (a reply sent from another identity than the BALF's).
 * The server accepts every version in `TALLY_SCHEMAS`: an add-on not yet upgraded keeps uploading.
 */
export const TALLY_SCHEMA = 2;
export const TALLY_SCHEMAS = [1, 2] as const;
/** Records per batch and body size, on both sides. */
export const MAX_RECORDS_PER_BATCH = 5000;
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How far ahead of the receiving clock a record may be dated: the server refuses beyond it (its own
 * clock), the add-on judges a Date against the message's Received header (or its own clock) with it.
 */
export const FUTURE_TOLERANCE_MS = 36 * 3_600_000;
/** Referenced keys kept per sent message (References chains can be enormous; the nearest win). */
export const MAX_RE_KEYS = 20;
/** Keys of earlier messages of the same request one reply may close (`hre`); the latest win. */
export const MAX_HRE_KEYS = 50;

/** A pseudonymous message key: 22 base64url characters (see keys.ts). */
export const messageKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, 'clé de message invalide (22 caractères base64url)');

export const directionSchema = z.enum(['in', 'out']);
export type Direction = z.infer<typeof directionSchema>;

export const receivedCategories = ['usager', 'interne', 'auto', 'junk'] as const;
export const sentCategories = ['reply', 'forward', 'new', 'auto'] as const;
export type ReceivedCategory = (typeof receivedCategories)[number];
export type SentCategory = (typeof sentCategories)[number];
export type Category = ReceivedCategory | SentCategory;
/**
 * How a reply reached the usager when it did not leave from the BALF's own identity: from the agent's
 * personal address (`personal`), or from another BALF of the same Thunderbird (`other-balf`). See
 * src/core/foreign-replies.ts.
 */
export const vias = ['personal', 'other-balf'] as const;
export type Via = (typeof vias)[number];

const isoInstant = z.iso.datetime({ offset: true });
const isoDay = z.iso.date();

/**
 * Characters no identifier may hold: controls (Cc), format characters (Cf: bidi overrides and
 * isolates, zero-width joiners, BOM…) which make two different identifiers look alike, line and
 * paragraph separators, and lone surrogates (Cs under the `u` flag) — ill-formed text that storage
 * replaces silently, so that a replay of the same upload no longer matches what was stored.
 */
const NOT_IN_IDENTIFIERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const IDENTIFIER_MESSAGE =
  'caractères interdits (contrôle, mise en forme ou direction du texte, substitut isolé)';

/** True for well-formed text with none of the characters identifiers refuse. */
export function isCleanIdentifier(text: string): boolean {
  return !NOT_IN_IDENTIFIERS.test(text);
}

/** A BALF address, compared lower-case and in Unicode normal form C. */
export const balfAddressSchema = z
  .string()
  .max(254)
  .refine(isCleanIdentifier, IDENTIFIER_MESSAGE)
  .regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'adresse de BALF invalide')
  .transform((s) => s.normalize('NFC').toLowerCase());

export const tallyRecordSchema = z
  .object({
    /** Pseudonymous key of the message. */
    k: messageKeySchema,
    dir: directionSchema,
    /** Time of receipt (in) or sending (out), ISO 8601 with offset. */
    at: isoInstant,
    cat: z.enum([...receivedCategories, ...sentCategories]),
    /** Keys of the messages this one refers to (In-Reply-To first, then References, nearest first). */
    re: z.array(messageKeySchema).max(MAX_RE_KEYS).optional(),
    /** True when `re` comes from the subject/correspondent heuristic, not from headers. */
    heuristic: z.boolean().optional(),
    /**
     * Received mail only: true when the category was decided with the message's own headers
     * (Auto-Submitted, List-Id, Precedence, Content-Type, Return-Path…). Absent or false: decided from the
     * message list alone (author, subject, junk flag) — provisional. A record sent again with `hdr: true`
     * replaces the category stored without it (src/core/classify.ts `categoryWins`).
     */
    hdr: z.boolean().optional(),
    /**
     * Sent replies only: keys of earlier received messages of the same request (same correspondent, their
     * reference chain or the same normalised subject within the window) that this reply also answers, each
     * paired as a heuristic match (src/core/replies.ts `requestClosure`). A record sent again with more
     * keys adds them: the server keeps the union.
     */
    hre: z.array(messageKeySchema).max(MAX_HRE_KEYS).optional(),
    /**
     * Sent replies only: the reply left from another identity than the BALF's (the agent's personal address,
     * or another BALF) and answers a message this BALF received (src/core/foreign-replies.ts). Absent: sent
     * from the BALF itself. Stored per record; the stats count such replies per BALF and day (`sentVia`).
     */
    via: z.enum(vias).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const allowed: readonly string[] = r.dir === 'in' ? receivedCategories : sentCategories;
    if (!allowed.includes(r.cat)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cat'],
        message: `catégorie « ${r.cat} » impossible pour dir=${r.dir}`,
      });
    }
    if (r.dir === 'in' && r.re !== undefined && r.re.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['re'], message: 're est réservé aux messages envoyés' });
    }
    if (r.dir === 'in' && r.hre !== undefined && r.hre.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['hre'], message: 'hre est réservé aux messages envoyés' });
    }
    if (r.dir === 'out' && r.hdr !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hdr'], message: 'hdr est réservé aux messages reçus' });
    }
    if (r.via !== undefined && !(r.dir === 'out' && r.cat === 'reply')) {
      ctx.addIssue({ code: 'custom', path: ['via'], message: 'via est réservé aux réponses envoyées' });
    }
  });
export type TallyRecord = z.infer<typeof tallyRecordSchema>;

/** An identifier's text (client id, versions, seed…): see NOT_IN_IDENTIFIERS. */
const printable = (max: number) => z.string().min(1).max(max).refine(isCleanIdentifier, IDENTIFIER_MESSAGE);

export const clientInfoSchema = z
  .object({
    /** Random id of the installation (not of the agent). */
    id: printable(64),
    addon: printable(32),
    thunderbird: printable(32),
  })
  .strict();

export const tallyBatchSchema = z
  .object({
    schema: z.literal(TALLY_SCHEMAS),
    /** UUID chosen by the client before the first send; replays are idempotent. */
    batchId: z.uuid(),
    /** Sequence number of the batch on that client, to detect gaps. */
    seq: z.number().int().nonnegative().optional(),
    client: clientInfoSchema,
    balf: balfAddressSchema,
    records: z.array(tallyRecordSchema).min(1).max(MAX_RECORDS_PER_BATCH),
  })
  .strict();
export type TallyBatch = z.infer<typeof tallyBatchSchema>;
export type TallyBatchInput = z.input<typeof tallyBatchSchema>;

/** The batch without its records' schema: checked by zod, the records by `plainRecords`. */
const tallyEnvelopeSchema = tallyBatchSchema.extend({
  records: z.array(z.unknown()).min(1).max(MAX_RECORDS_PER_BATCH),
});
const RECORD_FIELDS = new Set(['k', 'dir', 'at', 'cat', 're', 'heuristic', 'hdr', 'hre', 'via']);
const VIAS: ReadonlySet<unknown> = new Set(vias);
const RECEIVED_CATEGORIES: ReadonlySet<unknown> = new Set(receivedCategories);
const SENT_CATEGORIES: ReadonlySet<unknown> = new Set(sentCategories);
const KEY_RE = /^[A-Za-z0-9_-]{22}$/;
const isKey = (v: unknown): boolean => typeof v === 'string' && KEY_RE.test(v);

/**
 * The records, as they are, when every one is in the form the add-on writes and valid under
 * `tallyRecordSchema` (instants as `Date#toISOString` writes them); null as soon as one is not — zod
 * then reads the whole batch and says why. Only ever a subset of what zod accepts, with the same value
 * (a property test compares the two); it spares the copy zod makes of each of thousands of records.
 */
function plainRecords(records: readonly unknown[]): TallyRecord[] | null {
  for (const r of records) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
    for (const field of Object.keys(r)) if (!RECORD_FIELDS.has(field)) return null;
    const { k, dir, at, cat, re, heuristic, hdr, hre, via } = r as Record<string, unknown>;
    if (!isKey(k) || typeof at !== 'string' || canonicalUtcMs(at) === null) return null;
    if (heuristic !== undefined && typeof heuristic !== 'boolean') return null;
    if (via !== undefined && !(dir === 'out' && cat === 'reply' && VIAS.has(via))) return null;
    if (dir === 'in') {
      if (!RECEIVED_CATEGORIES.has(cat)) return null;
      if (re !== undefined && !(Array.isArray(re) && re.length === 0)) return null;
      if (hre !== undefined && !(Array.isArray(hre) && hre.length === 0)) return null;
      if (hdr !== undefined && typeof hdr !== 'boolean') return null;
    } else if (dir === 'out') {
      if (!SENT_CATEGORIES.has(cat)) return null;
      if (re !== undefined && !(Array.isArray(re) && re.length <= MAX_RE_KEYS && re.every(isKey)))
        return null;
      if (hre !== undefined && !(Array.isArray(hre) && hre.length <= MAX_HRE_KEYS && hre.every(isKey)))
        return null;
      if (hdr !== undefined) return null;
    } else return null;
  }
  return records as TallyRecord[];
}

/**
 * `tallyBatchSchema.safeParse`, faster for the batches the add-on sends: the envelope is read by zod,
 * the records by `plainRecords`; any doubt and zod reads everything (and lists what is wrong).
 */
export function parseTallyBatch(body: unknown): ReturnType<typeof tallyBatchSchema.safeParse> {
  const envelope = tallyEnvelopeSchema.safeParse(body);
  if (envelope.success) {
    const records = plainRecords(envelope.data.records);
    if (records !== null) return { success: true, data: { ...envelope.data, records } };
  }
  return tallyBatchSchema.safeParse(body);
}

export const tallyAnswerSchema = z.object({
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  /**
   * Among the duplicates, records that improved the stored one (a classification that wins, references
   * it lacked); absent when none did.
   */
  updated: z.number().int().nonnegative().optional(),
});
export type TallyAnswer = z.infer<typeof tallyAnswerSchema>;

/** Human verdicts of a spot-check. */
export const verdicts = ['conforme', 'non_conforme', 'sans_objet'] as const;
export type Verdict = (typeof verdicts)[number];

export const replyStatuses = ['answered_in_time', 'answered_late', 'pending', 'overdue'] as const;
export type ReplyStatusName = (typeof replyStatuses)[number];

const count = z.number().int().nonnegative();

/** Summary of a spot-check sent to the server: counts only, never subjects or addresses. */
export const spotCheckSummarySchema = z
  .object({
    schema: z.literal(PROTOCOL_SCHEMA),
    id: z.uuid(),
    client: clientInfoSchema,
    balf: balfAddressSchema,
    from: isoDay,
    to: isoDay,
    doneAt: isoInstant,
    seed: printable(64),
    target: z.object({ id: printable(64), workingDays: z.number().int().min(0).max(365) }).strict(),
    population: count,
    sampleSize: count,
    verdicts: z.object({ conforme: count, non_conforme: count, sans_objet: count }).strict(),
    automatic: z
      .object({ answered_in_time: count, answered_late: count, pending: count, overdue: count })
      .strict(),
    /** Human verdicts that differ from the automatic status. */
    disagreements: count,
  })
  .strict()
  .refine((s) => s.from <= s.to, { path: ['to'], message: 'la fin de période précède le début' })
  .refine((s) => s.sampleSize <= s.population, {
    path: ['sampleSize'],
    message: 'échantillon plus grand que la population',
  });
export type SpotCheckSummary = z.infer<typeof spotCheckSummarySchema>;

export const levels = ['national', 'department', 'service', 'balf'] as const;
export type Level = (typeof levels)[number];
export const granularities = ['day', 'week', 'month'] as const;
export type Granularity = (typeof granularities)[number];

export const metricsSchema = z.object({
  received: count,
  receivedByCategory: z.object({ usager: count, interne: count, auto: count, junk: count }),
  /**
   * Received messages among `received` whose category was decided without their headers (uploads
   * without `hdr`, and every record stored before upload schema 2): the figures are provisional
   * while it is not 0 (« classement en cours »).
   */
  unrefined: count,
  sent: count,
  sentByCategory: z.object({ reply: count, forward: count, new: count, auto: count }),
  /**
   * Replies among `sentByCategory.reply` sent from another identity than the BALF's (records with `via`):
   * from agents' personal addresses, or from another BALF. Their share of the replies is a training signal
   * for the chef de service; the records name no agent, so there is no figure per agent.
   */
  sentVia: z.object({ personal: count, otherBalf: count }),
  answeredInTime: count,
  answeredLate: count,
  pending: count,
  overdue: count,
  complianceRate: z.number().min(0).max(1).nullable(),
  medianDelayDays: z.number().nonnegative().nullable(),
  p90DelayDays: z.number().nonnegative().nullable(),
});
export type Metrics = z.infer<typeof metricsSchema>;

export const statsAnswerSchema = z.object({
  level: z.enum(levels),
  id: z.string(),
  from: isoDay,
  to: isoDay,
  granularity: z.enum(granularities),
  target: z.object({ id: z.string(), workingDays: z.number().int() }),
  totals: metricsSchema,
  series: z.array(metricsSchema.extend({ period: isoDay })),
  children: z.array(metricsSchema.extend({ level: z.enum(levels), id: z.string(), name: z.string() })),
});
export type StatsAnswer = z.infer<typeof statsAnswerSchema>;

/** Metrics with every count at zero, the neutral element of consolidation. */
export function emptyMetrics(): Metrics {
  return {
    received: 0,
    receivedByCategory: { usager: 0, interne: 0, auto: 0, junk: 0 },
    unrefined: 0,
    sent: 0,
    sentByCategory: { reply: 0, forward: 0, new: 0, auto: 0 },
    sentVia: { personal: 0, otherBalf: 0 },
    answeredInTime: 0,
    answeredLate: 0,
    pending: 0,
    overdue: 0,
    complianceRate: null,
    medianDelayDays: null,
    p90DelayDays: null,
  };
}

/**
 * Wire formats of the storage watch: quota readings the add-on sends (`POST /api/v1/quota-samples`)
 * and the answer of `GET /api/v1/storage`. Beside protocol.ts, whose upload batches carry message keys:
 * a reading is a fact about the BALF at an instant, sent whether or not any mail moved.
 */
import { z } from 'zod';
import { balfAddressSchema, clientInfoSchema, levels } from './protocol.ts';

/** Version of the readings' format; the server accepts every version in `STORAGE_SCHEMAS`. */
export const STORAGE_SCHEMA = 1;
export const STORAGE_SCHEMAS = [1] as const;
/** BALFs one request may report (an add-on watches a handful). */
export const MAX_STORAGE_SAMPLES = 200;
/** Quota entries one reading may carry (one per quota root and type). */
export const MAX_QUOTA_ENTRIES = 16;
export const MAX_STORAGE_BODY_BYTES = 64 * 1024;

const quantity = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * One quota entry as Thunderbird gives it (`MailFolderInfo.quota`, 121+): one per quota root and type
 * of the folder read, without the root's name. STORAGE in bytes (Thunderbird multiplies the IMAP
 * protocol's KiB by 1024) or in KiB (what the protocol says, for a client reading it raw); MESSAGE in
 * messages. A `limit` of 0 is no limit.
 */
export const quotaEntrySchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('STORAGE'),
      unit: z.enum(['byte', 'kibibyte']),
      used: quantity,
      limit: quantity,
    })
    .strict(),
  z
    .object({ type: z.literal('MESSAGE'), unit: z.literal('message'), used: quantity, limit: quantity })
    .strict(),
]);
export type QuotaEntry = z.infer<typeof quotaEntrySchema>;

/**
 * The storage figure of a reading: its most constrained STORAGE entry with a limit (the root that
 * fills first), in bytes; null without one. MESSAGE quotas are not followed: a BALF fills up in bytes.
 */
export function storageOfQuota(quota: readonly QuotaEntry[]): { used: number; limit: number } | null {
  let best: { used: number; limit: number } | null = null;
  for (const q of quota) {
    if (q.type !== 'STORAGE' || q.limit <= 0) continue;
    const scale = q.unit === 'kibibyte' ? 1024 : 1;
    const entry = { used: q.used * scale, limit: q.limit * scale };
    if (best === null || entry.used / entry.limit > best.used / best.limit) best = entry;
  }
  return best;
}

export const storageSampleSchema = z
  .object({
    balf: balfAddressSchema,
    /** When the add-on read the quota, ISO 8601 with offset. */
    at: z.iso.datetime({ offset: true }),
    /** Empty: Thunderbird gave no quota (a server without QUOTA, Thunderbird before 121) — « quota inconnu ». */
    quota: z.array(quotaEntrySchema).max(MAX_QUOTA_ENTRIES),
  })
  .strict();
export type StorageSample = z.infer<typeof storageSampleSchema>;

export const storageReportSchema = z
  .object({
    schema: z.literal(STORAGE_SCHEMAS),
    client: clientInfoSchema,
    samples: z.array(storageSampleSchema).min(1).max(MAX_STORAGE_SAMPLES),
  })
  .strict();
export type StorageReport = z.infer<typeof storageReportSchema>;
export type StorageReportInput = z.input<typeof storageReportSchema>;

/** Closed set of reasons one reading is refused (the others of the request are stored). */
export const storageRejectReasons = [
  'forbidden_scope',
  'future',
  'purged_period',
  'out_of_calendar',
] as const;
export type StorageRejectReason = (typeof storageRejectReasons)[number];

export interface StorageAnswer {
  stored: number;
  rejected: number;
  rejects: Partial<Record<StorageRejectReason, number>>;
}

const bytes = z.number().int().nonnegative();
const isoDay = z.iso.date();

/** Why a BALF has no figure: Thunderbird gave no quota, or no add-on reported it within the window. */
export const unknownReasons = ['not_given', 'no_report'] as const;
export type UnknownReason = (typeof unknownReasons)[number];

export const storageBalfSchema = z.object({
  balf: z.string(),
  usedBytes: bytes.nullable(),
  limitBytes: bytes.nullable(),
  percent: z.number().nonnegative().nullable(),
  /** Bytes per working day over the last 30 days, clean-ups left out (src/core/storage.ts). */
  growthBytesPerDay: z.number().int().nullable(),
  /** Projected day of saturation; null: none within two years, or no trend yet. */
  fullOn: isoDay.nullable(),
  /** Working days from today to `fullOn` (0 when full). */
  daysLeft: z.number().int().nonnegative().nullable(),
  /** Instant of the reading the figures come from. */
  sampledAt: z.iso.datetime({ offset: true }).nullable(),
  unknown: z.enum(unknownReasons).nullable(),
  /** Last reading of each of the last 90 days (service and BALF levels). */
  history: z.array(z.object({ day: isoDay, percent: z.number().nonnegative() })).optional(),
});
export type StorageBalf = z.infer<typeof storageBalfSchema>;

const counts = {
  /** BALFs at 80 % of their quota or more (95 % and full included). */
  above80: z.number().int().nonnegative(),
  /** BALFs at 95 % or more. */
  above95: z.number().int().nonnegative(),
  /** BALFs without a known quota. */
  unknown: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
};

export const storageChildSchema = z.object({
  level: z.enum(levels),
  id: z.string(),
  label: z.string(),
  ...counts,
  /** Its BALF closest to saturation (src/core/storage.ts closerToSaturation), null without any. */
  worst: storageBalfSchema.nullable(),
});
export type StorageChild = z.infer<typeof storageChildSchema>;

export const storageViewSchema = z.object({
  level: z.enum(levels),
  id: z.string(),
  label: z.string(),
  /** The server's day (metropole) the figures were computed on. */
  today: isoDay,
  ...counts,
  /** Service and BALF levels: every BALF, closest to saturation first. */
  balfs: z.array(storageBalfSchema).optional(),
  /** Department, national: the level below. */
  children: z.array(storageChildSchema).optional(),
  /** Department, national: the BALFs closest to saturation of the whole level (at most 10). */
  closest: z.array(storageBalfSchema).optional(),
  /** Department, national: BALFs read each of the last 90 days, and how many were at 80 / 95 % or more. */
  series: z
    .array(
      z.object({
        day: isoDay,
        known: z.number().int().nonnegative(),
        above80: z.number().int().nonnegative(),
        above95: z.number().int().nonnegative(),
      }),
    )
    .optional(),
});
export type StorageView = z.infer<typeof storageViewSchema>;

/**
 * Storage readings of the demo: one quota reading a day per BALF over the demo period, sent through the
 * same function as the add-ons' readings, so that the « Stockage » block shows every case on a fresh
 * start: BALFs growing towards saturation (80 % and 95 % or more), one cleaned up, two without quota.
 */
import { addDays, isWorkingDay, regionForDepartment } from '../../core/calendar.ts';
import {
  MAX_STORAGE_SAMPLES,
  STORAGE_SCHEMA,
  storageReportSchema,
  type StorageSample,
} from '../../core/storage-protocol.ts';
import type { Principal } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { storeSamples } from '../storage/samples.ts';
import type { DemoBalf } from './demo-directory.ts';
import { seededRandom, type Random } from './generate-mail.ts';

const GiB = 1024 ** 3;

/**
 * How a BALF's use moves: `endShare` of the quota on the last day, `growth` (share of the quota per
 * working day) before it; `cleanupDaysAgo`: an archiving that freed `cleanupShare` of the quota that
 * many days before the end; `unknown`: a mail server without the QUOTA capability.
 */
export interface StorageProfile {
  endShare: number;
  growth: number;
  cleanupDaysAgo?: number;
  cleanupShare?: number;
  unknown?: boolean;
}

/**
 * The remarkable BALFs by the local part of their address; the others grow slowly, well under 80 %.
 * Spread across departments so that every department view shows something.
 */
const REMARKABLE: Readonly<Record<string, StorageProfile>> = {
  // Paris: one at 95 % or more, about two weeks from full; one at 80 % or more, a month from full.
  'sip.paris-15e': { endShare: 0.965, growth: 0.0025 },
  'sie.paris-8e-europe': { endShare: 0.88, growth: 0.004 },
  // Lyon: just over 80 %, slowly; another archived three weeks ago (a clean-up is not a trend).
  'sip.lyon-3e': { endShare: 0.815, growth: 0.001 },
  'sip-sie.villefranche': { endShare: 0.64, growth: 0.003, cleanupDaysAgo: 21, cleanupShare: 0.32 },
  // Strasbourg: one full (its usagers' mail bounces); one on a mail server that gives no quota.
  'sip.strasbourg-ouest': { endShare: 1, growth: 0.003 },
  'cdif.strasbourg': { endShare: 0.5, growth: 0.001, unknown: true },
  // La Réunion: one at 95 % or more; one without quota.
  'sip.saint-denis': { endShare: 0.955, growth: 0.002 },
  'spf.saint-denis': { endShare: 0.4, growth: 0.001, unknown: true },
};

/** The profile of a demo BALF (the quiet ones drawn from the seed). */
export function storageProfile(address: string, rng: Random): StorageProfile {
  return (
    REMARKABLE[address.split('@')[0] ?? ''] ?? {
      endShare: 0.2 + rng() * 0.5,
      growth: 0.0003 + rng() * 0.0015,
    }
  );
}

/** The quota bytes used each day of [from, to] (null: no quota), from the end backwards. */
export function dailyUse(
  profile: StorageProfile,
  limit: number,
  days: readonly string[],
  worked: (day: string) => boolean,
  rng: Random,
): number[] {
  const out: number[] = new Array<number>(days.length);
  let share = profile.endShare;
  for (let i = days.length - 1; i >= 0; i--) {
    out[i] = Math.round(Math.min(share, 1) * limit);
    const back = days.length - 1 - i;
    if (profile.cleanupDaysAgo !== undefined && back === profile.cleanupDaysAgo)
      share += profile.cleanupShare ?? 0;
    // Mail arrives on working days; the agents' daily deletions stay well under a clean-up (1 % of the quota).
    else if (worked(days[i]!)) share -= profile.growth * (0.6 + rng() * 0.8);
    else if (rng() < 0.3) share += rng() * 0.002;
    share = Math.max(0.02, share);
  }
  return out;
}

export interface DemoStorageOptions {
  from: string;
  to: string;
  now: Date;
  seed: string;
  principal: Principal;
  whitMondayWorked?: boolean;
}

/** Stores a reading a day (10:00 UTC, or now on the last day) for each BALF; returns how many were kept. */
export async function runDemoStorage(
  db: Db,
  balfs: readonly DemoBalf[],
  options: DemoStorageOptions,
): Promise<{ samples: number; rejected: number }> {
  const days: string[] = [];
  for (let d = options.from; d <= options.to; d = addDays(d, 1)) days.push(d);
  const samples: StorageSample[] = [];
  for (const balf of balfs) {
    const rng = seededRandom(`${options.seed}|storage|${balf.address}`);
    const profile = storageProfile(balf.address, rng);
    const limit = [1, 2, 5][Math.floor(rng() * 3)]! * GiB;
    const region = regionForDepartment(balf.departmentCode);
    const opts = { whitMondayWorked: options.whitMondayWorked ?? false };
    const used = dailyUse(profile, limit, days, (d) => isWorkingDay(d, region, opts), rng);
    days.forEach((day, i) => {
      const at = new Date(Math.min(Date.parse(`${day}T10:00:00Z`), options.now.getTime()));
      samples.push({
        balf: balf.address,
        at: at.toISOString(),
        quota: profile.unknown ? [] : [{ type: 'STORAGE', unit: 'byte', used: used[i]!, limit }],
      });
    });
  }
  let stored = 0;
  let rejected = 0;
  for (let i = 0; i < samples.length; i += MAX_STORAGE_SAMPLES) {
    const report = storageReportSchema.parse({
      schema: STORAGE_SCHEMA,
      client: { id: 'demo-storage', addon: 'démo', thunderbird: '128.0' },
      samples: samples.slice(i, i + MAX_STORAGE_SAMPLES),
    });
    const answer = await storeSamples(db, report, { principal: options.principal, now: options.now });
    stored += answer.stored;
    rejected += answer.rejected;
  }
  return { samples: stored, rejected };
}

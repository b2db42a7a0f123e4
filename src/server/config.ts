/**
 * Server configuration from the environment, validated once at start, plus the reply-delay targets
 * (settings table > env SUIVI_TARGETS > DEFAULT_TARGETS), read per request so a change applies at once.
 */
import { z } from 'zod';
import { DEFAULT_PRIMARY_TARGET_ID, DEFAULT_TARGETS, type Target } from '../core/targets.ts';
import type { Db } from './db/schema.ts';

export interface TargetSettings {
  targets: readonly Target[];
  primary: string;
}

export interface ServerConfig {
  /** Lundi de Pentecôte worked as the journée de solidarité (a working day for delays). */
  whitMondayWorked: boolean;
  /** Ingest requests per token and window before 429. */
  ingestRateLimit: { max: number; timeWindowMs: number };
  /** Targets from the environment, when set; otherwise the defaults. */
  targets: TargetSettings;
}

const targetSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'identifiant de cible invalide'),
    label: z.string().min(1).max(200),
    workingDays: z.number().int().min(0).max(365),
  })
  .strict();

export const targetSettingsSchema = z
  .object({ targets: z.array(targetSchema).min(1).max(20), primary: z.string() })
  .strict()
  .refine((s) => s.targets.some((t) => t.id === s.primary), {
    path: ['primary'],
    message: 'la cible principale doit être une des cibles',
  })
  .refine((s) => new Set(s.targets.map((t) => t.id)).size === s.targets.length, {
    path: ['targets'],
    message: 'identifiants de cibles en double',
  });

export const DEFAULT_TARGET_SETTINGS: TargetSettings = {
  targets: DEFAULT_TARGETS,
  primary: DEFAULT_PRIMARY_TARGET_ID,
};

function parseTargets(raw: string, origin: string): TargetSettings {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(
      `${origin} : JSON invalide. Exemple : {"targets":[{"id":"j5","label":"5 jours ouvrés","workingDays":5}],"primary":"j5"}`,
    );
  }
  const parsed = targetSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(racine)'} : ${i.message}`)
      .join(' ; ');
    throw new Error(`${origin} invalide : ${issues}`);
  }
  return parsed.data;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} doit être un entier positif (reçu « ${raw} »)`);
  return n;
}

/** The Whit Monday setting alone, for code paths called outside a running server (CLI import, demo). */
export function whitMondayWorkedFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const whit = env['SUIVI_WHIT_MONDAY_WORKED'];
  return whit === '1' || whit === 'true';
}

/** Reads and validates the environment; throws an Error saying how to fix a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const whit = env['SUIVI_WHIT_MONDAY_WORKED'];
  if (whit !== undefined && !['', '0', '1', 'true', 'false'].includes(whit)) {
    throw new Error(`SUIVI_WHIT_MONDAY_WORKED doit valoir 1 ou 0 (reçu « ${whit} »)`);
  }
  return {
    whitMondayWorked: whit === '1' || whit === 'true',
    ingestRateLimit: {
      max: positiveInt(env, 'SUIVI_INGEST_RATE_MAX', 120),
      timeWindowMs: positiveInt(env, 'SUIVI_INGEST_RATE_WINDOW_MS', 60_000),
    },
    targets: env['SUIVI_TARGETS']
      ? parseTargets(env['SUIVI_TARGETS'], 'SUIVI_TARGETS')
      : DEFAULT_TARGET_SETTINGS,
  };
}

/** Settings row `targets` (JSON of TargetSettings) wins over the environment. */
export async function currentTargets(db: Db, config: ServerConfig): Promise<TargetSettings> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', 'targets')
    .executeTakeFirst();
  return row ? parseTargets(row.value, 'Réglage « targets » de la base') : config.targets;
}

export async function saveTargets(db: Db, settings: TargetSettings): Promise<void> {
  const value = JSON.stringify(targetSettingsSchema.parse(settings));
  await db
    .insertInto('settings')
    .values({ name: 'targets', value })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
    .execute();
}

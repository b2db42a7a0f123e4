/**
 * Server configuration from the environment, validated once at start, plus the reply-delay targets
 * (settings table > env SUIVI_TARGETS > DEFAULT_TARGETS), read per request so a change applies at once.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_PRIMARY_TARGET_ID, DEFAULT_TARGETS, type Target } from '../core/targets.ts';
import type { Db } from './db/schema.ts';
import { parseMailConfig, type MailConfig } from './notifications/config.ts';

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
  /**
   * Addresses (or CIDR blocks, or `loopback`…) of the reverse proxies whose X-Forwarded-For and
   * X-Forwarded-Proto are believed; false: none (the peer's address is the client's).
   */
  trustProxy: string[] | false;
  /** Public base URL of the server as workstations reach it (update manifest links); null: unset. */
  publicUrl: string | null;
  /** Session cookie marked Secure even when the request arrived over plain HTTP (TLS ends at a proxy). */
  secureCookies: boolean;
  /** Logins accepted over plain HTTP from another machine (the password and cookie then travel in clear). */
  allowHttpLogin: boolean;
  /** Statistics queries running at once, per caller and in all, before 429. */
  statsConcurrency: { perPrincipal: number; total: number };
  /** Digest and alerts by e-mail (src/server/notifications); null: off (no SUIVI_SMTP_URL). */
  mail: MailConfig | null;
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

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `SUIVI_TRUST_PROXY`: a comma-separated list of proxy addresses, CIDR blocks or proxy-addr names. */
export function parseTrustProxy(raw: string | undefined): string[] | false {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '0') return false;
  if (['1', 'true', 'yes'].includes(raw.trim().toLowerCase())) {
    throw new Error(
      `SUIVI_TRUST_PROXY=${raw.trim()} n’est plus accepté : il faisait croire tout intermédiaire, donc un en-tête ` +
        'X-Forwarded-For forgé par le client lui-même. Indiquez les adresses de vos mandataires inverses, par ' +
        'exemple SUIVI_TRUST_PROXY=127.0.0.1 (nginx sur la même machine) ou SUIVI_TRUST_PROXY=10.0.0.5,10.0.0.6.',
    );
  }
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    if (PROXY_NAMES.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new Error(
        `SUIVI_TRUST_PROXY : « ${entry} » n’est ni une adresse IP, ni un bloc CIDR (10.0.0.0/8), ni loopback, ` +
          'linklocal ou uniquelocal. Séparez plusieurs mandataires par des virgules.',
      );
    }
  }
  return entries.length > 0 ? entries : false;
}

/** `SUIVI_PUBLIC_URL`: an absolute http(s) URL without query or fragment, returned without a final slash. */
export function parsePublicUrl(raw: string | undefined, name = 'SUIVI_PUBLIC_URL'): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(
      `${name} doit être une adresse absolue, par exemple https://suivi-balf.exemple.gouv.fr (reçu « ${raw} »)`,
    );
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new Error(
      `${name} doit être une adresse http(s) sans paramètres ni identifiants, par exemple https://suivi-balf.exemple.gouv.fr (reçu « ${raw} »)`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || ['', '0', 'false'].includes(raw)) return false;
  if (['1', 'true'].includes(raw)) return true;
  throw new Error(`${name} doit valoir 1 ou 0 (reçu « ${raw} »)`);
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
  const publicUrl = parsePublicUrl(env['SUIVI_PUBLIC_URL']);
  return {
    whitMondayWorked: whit === '1' || whit === 'true',
    ingestRateLimit: {
      max: positiveInt(env, 'SUIVI_INGEST_RATE_MAX', 120),
      timeWindowMs: positiveInt(env, 'SUIVI_INGEST_RATE_WINDOW_MS', 60_000),
    },
    targets: env['SUIVI_TARGETS']
      ? parseTargets(env['SUIVI_TARGETS'], 'SUIVI_TARGETS')
      : DEFAULT_TARGET_SETTINGS,
    trustProxy: parseTrustProxy(env['SUIVI_TRUST_PROXY']),
    publicUrl,
    secureCookies: flag(env, 'SUIVI_SECURE_COOKIES'),
    allowHttpLogin: flag(env, 'SUIVI_ALLOW_HTTP_LOGIN'),
    statsConcurrency: {
      // A dashboard page asks for up to four at once (period, compared period, spot-checks…); six in
      // all leave four of an instance's ten PostgreSQL connections to uploads and health checks.
      perPrincipal: positiveInt(env, 'SUIVI_STATS_CONCURRENCY_PER_CLIENT', 4),
      total: positiveInt(env, 'SUIVI_STATS_CONCURRENCY', 6),
    },
    mail: parseMailConfig(env, publicUrl),
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

// Effective add-on configuration: managed storage (policies.json 3rdparty) over local values
// (options page) over defaults; each key validated on its own so one bad value never stops counting.
import { z } from 'zod';
import { DEFAULT_PRIMARY_TARGET_ID, DEFAULT_TARGETS, targetsSchema, type Target } from '../core/targets.ts';
import { isRegion, regionForDepartment, type Region } from '../core/calendar.ts';
import type { StorageArea } from './platform.ts';

import { configKeys, logLevels, type ConfigKey, type LogLevel } from './config-keys.ts';

export { configKeys, logLevels, type ConfigKey, type LogLevel };

const address = z
  .string()
  .trim()
  .regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'adresse invalide')
  .transform((s) => s.toLowerCase());
const domain = z
  .string()
  .trim()
  .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'domaine invalide')
  .transform((s) => s.toLowerCase());

/** One schema per key: the reason of a rejection names exactly one key. */
export const keySchemas = {
  endpoint: z
    .string()
    .trim()
    .url('URL invalide')
    .refine((u) => /^https?:\/\//.test(u), 'le protocole doit être http ou https')
    .transform((u) => u.replace(/\/+$/, '')),
  token: z.string().min(1).max(4096),
  secret: z.string().min(16, 'le secret doit faire au moins 16 caractères').max(4096),
  balfs: z.array(address).max(1000),
  balfPattern: z
    .string()
    .min(1)
    .max(500)
    .refine((p) => {
      try {
        new RegExp(p, 'i');
        return true;
      } catch {
        return false;
      }
    }, 'expression régulière invalide'),
  internalDomains: z.array(domain).max(1000),
  region: z.string().refine((r) => isRegion(r), 'région inconnue'),
  department: z
    .string()
    .trim()
    .refine((d) => {
      try {
        regionForDepartment(d);
        return true;
      } catch {
        return false;
      }
    }, 'code de département invalide (01–95, 2A, 2B, 971–976)'),
  targets: targetsSchema,
  primaryTarget: z.string().min(1).max(64),
  backfillDays: z.number().int().min(1).max(3650),
  uploadIntervalMinutes: z.number().int().min(1).max(1440),
  logLevel: z.enum(logLevels),
  whitMondayWorked: z.boolean(),
  allowSpotCheckUpload: z.boolean(),
  notifyDue: z.boolean(),
} as const satisfies Record<ConfigKey, z.ZodType>;
type Values = { [K in ConfigKey]: z.output<(typeof keySchemas)[K]> };

export type Source = 'managed' | 'local' | 'last-valid' | 'default' | 'unset';
export interface ConfigError {
  key: string;
  source: 'managed' | 'local';
  reason: string;
}

/** Configuration as the rest of the add-on uses it. */
export interface Config {
  endpoint: string | undefined;
  token: string | undefined;
  secret: string | undefined;
  balfs: string[];
  balfPattern: string | undefined;
  internalDomains: string[];
  region: Region;
  department: string | undefined;
  targets: Target[];
  primaryTarget: Target;
  backfillDays: number;
  uploadIntervalMinutes: number;
  logLevel: LogLevel;
  whitMondayWorked: boolean;
  allowSpotCheckUpload: boolean;
  /** A system notice when a waiting usager message becomes « à échéance » or « en retard » (due-notices.ts). */
  notifyDue: boolean;
}

export interface EffectiveConfig {
  config: Config;
  sources: Record<ConfigKey, Source>;
  errors: ConfigError[];
  managed: boolean;
}

const defaults: Partial<Values> = {
  balfs: [],
  internalDomains: [],
  targets: DEFAULT_TARGETS.map((t) => ({ ...t })),
  primaryTarget: DEFAULT_PRIMARY_TARGET_ID,
  backfillDays: 90,
  uploadIntervalMinutes: 15,
  logLevel: 'warn',
  whitMondayWorked: false,
  allowSpotCheckUpload: false,
  notifyDue: false,
};

/** Keys in storage.local: values typed in the options page, and the last valid value of each key. */
export const LOCAL_CONFIG_KEY = 'config';
export const LAST_VALID_KEY = 'lastValidConfig';

/** Reads policies; "Managed storage manifest not found" (no policy) means "not managed". */
export async function readManaged(managed: StorageArea): Promise<Record<string, unknown> | null> {
  try {
    const values = await managed.get(null);
    return Object.keys(values).length > 0 ? values : null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/managed storage manifest not found|not found|no managed/i.test(message)) return null;
    throw error;
  }
}

function asRecord(x: unknown): Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

function reasonOf(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * Merges managed, local, last valid and default values. Pure apart from its inputs; `loadConfig`
 * persists the new last-valid values it returns.
 */
export function resolveConfig(
  managedRaw: Record<string, unknown> | null,
  localRaw: Record<string, unknown>,
  lastValid: Record<string, unknown>,
): EffectiveConfig & { lastValid: Record<string, unknown> } {
  const values: Partial<Values> = {};
  const sources = {} as Record<ConfigKey, Source>;
  const errors: ConfigError[] = [];
  const nextLastValid: Record<string, unknown> = { ...lastValid };
  for (const key of configKeys) {
    const schema = keySchemas[key] as z.ZodType;
    let chosen: Source = 'unset';
    for (const [source, raw] of [
      ['managed', managedRaw ?? {}],
      ['local', localRaw],
    ] as const) {
      if (!(key in raw) || raw[key] === undefined || raw[key] === null || raw[key] === '') continue;
      const parsed = schema.safeParse(raw[key]);
      if (parsed.success) {
        (values as Record<string, unknown>)[key] = parsed.data;
        nextLastValid[key] = raw[key];
        chosen = source;
        break;
      }
      errors.push({ key, source, reason: reasonOf(parsed.error) });
      // A managed value that is invalid must not be silently replaced by a local one: keep the last valid.
      break;
    }
    if (chosen === 'unset' && key in lastValid) {
      const parsed = schema.safeParse(lastValid[key]);
      if (parsed.success && errors.some((e) => e.key === key)) {
        (values as Record<string, unknown>)[key] = parsed.data;
        chosen = 'last-valid';
      }
    }
    if (chosen === 'unset' && defaults[key] !== undefined) {
      (values as Record<string, unknown>)[key] = defaults[key];
      chosen = 'default';
    }
    sources[key] = chosen;
  }
  const targets = values.targets ?? DEFAULT_TARGETS.map((t) => ({ ...t }));
  let primary = targets.find((t) => t.id === values.primaryTarget);
  if (!primary) {
    if (values.primaryTarget !== undefined && sources.primaryTarget !== 'default') {
      errors.push({
        key: 'primaryTarget',
        source: sources.primaryTarget === 'managed' ? 'managed' : 'local',
        reason: `cible « ${values.primaryTarget} » absente de la liste des cibles`,
      });
    }
    primary = targets.find((t) => t.id === DEFAULT_PRIMARY_TARGET_ID) ?? (targets[0] as Target);
  }
  const region: Region =
    values.region !== undefined && isRegion(values.region)
      ? values.region
      : values.department !== undefined
        ? regionForDepartment(values.department)
        : 'metropole';
  const config: Config = {
    endpoint: values.endpoint,
    token: values.token,
    secret: values.secret,
    balfs: values.balfs ?? [],
    balfPattern: values.balfPattern,
    internalDomains: values.internalDomains ?? [],
    region,
    department: values.department,
    targets,
    primaryTarget: primary,
    backfillDays: values.backfillDays ?? 90,
    uploadIntervalMinutes: values.uploadIntervalMinutes ?? 15,
    logLevel: values.logLevel ?? 'warn',
    whitMondayWorked: values.whitMondayWorked ?? false,
    allowSpotCheckUpload: values.allowSpotCheckUpload ?? false,
    notifyDue: values.notifyDue ?? false,
  };
  return { config, sources, errors, managed: managedRaw !== null, lastValid: nextLastValid };
}

export interface ConfigStorage {
  managed: StorageArea;
  local: StorageArea & { set(items: Record<string, unknown>): Promise<void> };
}

/** Reads both storage areas, resolves, and remembers the last valid value of each key. */
export async function loadConfig(storage: ConfigStorage): Promise<EffectiveConfig> {
  const [managedRaw, local] = await Promise.all([
    readManaged(storage.managed),
    storage.local.get([LOCAL_CONFIG_KEY, LAST_VALID_KEY]),
  ]);
  const resolved = resolveConfig(
    managedRaw,
    asRecord(local[LOCAL_CONFIG_KEY]),
    asRecord(local[LAST_VALID_KEY]),
  );
  if (JSON.stringify(resolved.lastValid) !== JSON.stringify(asRecord(local[LAST_VALID_KEY]))) {
    await storage.local.set({ [LAST_VALID_KEY]: resolved.lastValid });
  }
  const { lastValid: _lastValid, ...effective } = resolved;
  return effective;
}

/** True when the account has an identity that is a configured BALF; returns that address. */
export function balfAddressOf(config: Config, identities: readonly { email: string }[]): string | undefined {
  const pattern = config.balfPattern !== undefined ? new RegExp(config.balfPattern, 'i') : undefined;
  for (const identity of identities) {
    const email = identity.email.trim().toLowerCase();
    if (config.balfs.includes(email) || (pattern?.test(email) ?? false)) return email;
  }
  return undefined;
}

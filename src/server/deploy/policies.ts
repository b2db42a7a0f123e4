/**
 * Thunderbird `policies.json` for one department: force-installs the add-on from this server and
 * passes its configuration through `3rdparty.Extensions.<id>` (read by `storage.managed`).
 * Syntax: thunderbird/policy-templates, docs/policies/esr140/README.md (ExtensionSettings,
 * 3rdparty, Preferences with Value/Status).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { isRegion, regionForDepartment, regions, type Region } from '../../core/calendar.ts';
import { createToken } from '../auth/tokens.ts';
import { normalizeDepartmentCode } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { DEFAULT_ADDON_ID, readXpi } from './xpi.ts';

export type Platform = 'linux' | 'windows';
export const platforms: readonly Platform[] = ['linux', 'windows'];

/** Where the file goes on each platform (policy-templates README, « Policies can be specified … »). */
export const POLICIES_LOCATION: Readonly<Record<Platform, string>> = {
  linux: '/etc/thunderbird/policies/policies.json',
  windows: 'C:\\Program Files\\Mozilla Thunderbird\\distribution\\policies.json',
};

/**
 * Thunderbird preferences the deployment locks, and why:
 * - `mailnews.use_received_date`: the date of a message is the time the server received it (its
 *   Received header), not the sender's `Date:`, which may be wrong or days old — delays start there.
 * - `mail.server.default.check_all_folders_for_new`: Thunderbird otherwise only checks the Inbox of
 *   an IMAP account; mail filed into other folders by server rules would be seen late or never.
 */
export const LOCKED_PREFERENCES = {
  'mailnews.use_received_date': true,
  'mail.server.default.check_all_folders_for_new': true,
} as const;

const logLevels = ['error', 'warn', 'info', 'debug'] as const;

/** Placeholders of the templates look like `__JETON_DEPARTEMENTAL__`; a file to deploy has none. */
export const PLACEHOLDER = /__[A-Z0-9_]+__/g;

/**
 * Every placeholder the templates use: what to put there, and a sample value that lets a template
 * be validated as if it were filled.
 */
export const PLACEHOLDERS: Readonly<Record<string, { description: string; sample: string }>> = {
  __SERVEUR_SUIVI_BALF__: {
    description:
      'nom (et port éventuel) du serveur de collecte tel que les postes le joignent, sans https://',
    sample: 'suivi-balf.exemple.gouv.fr',
  },
  __JETON_DEPARTEMENTAL__: {
    description: 'jeton de dépôt du département (suivi-balf token create --scope department:<code>)',
    sample: 'sbt_exempleDeJetonDepartemental',
  },
  __SECRET_DE_DEPLOIEMENT__: {
    description:
      'secret de déploiement, identique pour tous les départements (affiché par suivi-balf policies)',
    sample: 'exempleDeSecretDeDeploiementDe43Caracteres',
  },
  __CODE_DEPARTEMENT__: { description: 'code du département (01–95, 2A, 2B, 971–976)', sample: '75' },
  __REGION__: {
    description:
      'calendrier des jours fériés : metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte',
    sample: 'metropole',
  },
  __ADRESSE_BALF_1__: {
    description: 'adresse d’une BALF suivie',
    sample: 'sip.exemple1@dgfip.finances.gouv.fr',
  },
  __ADRESSE_BALF_2__: {
    description: 'adresse d’une autre BALF suivie',
    sample: 'sie.exemple2@dgfip.finances.gouv.fr',
  },
  __DOMAINE_INTERNE__: { description: 'domaine de messagerie interne', sample: 'dgfip.finances.gouv.fr' },
};

const address = z
  .string()
  .trim()
  .regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'adresse invalide');
const domain = z
  .string()
  .trim()
  .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'domaine invalide');
const targetSchema = z.strictObject({
  id: z.string().min(1).max(64),
  label: z.string().min(1).max(200),
  workingDays: z.number().int().min(0).max(365),
});

/**
 * The add-on's managed configuration, key by key (mirror of `keySchemas` in
 * src/extension/config.ts, which a test keeps in step). Unknown keys are refused: a typo such as
 * `balf` instead of `balfs` would otherwise be silently ignored on every workstation.
 */
export const addonConfigurationSchema = z
  .strictObject({
    endpoint: z
      .string()
      .url('URL invalide')
      .refine((u) => /^https?:\/\//.test(u), 'le protocole doit être http ou https'),
    token: z.string().min(1).max(4096),
    secret: z.string().min(16, 'le secret doit faire au moins 16 caractères').max(4096),
    balfs: z.array(address).max(1000).optional(),
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
      }, 'expression régulière invalide')
      .optional(),
    internalDomains: z.array(domain).max(1000).optional(),
    region: z.enum(regions as [Region, ...Region[]]).optional(),
    department: z
      .string()
      .regex(/^(\d{2,3}|2A|2B)$/i, 'code de département invalide')
      .optional(),
    targets: z.array(targetSchema).min(1).max(20).optional(),
    primaryTarget: z.string().min(1).max(64).optional(),
    backfillDays: z.number().int().min(1).max(3650).optional(),
    uploadIntervalMinutes: z.number().int().min(1).max(1440).optional(),
    logLevel: z.enum(logLevels).optional(),
    whitMondayWorked: z.boolean().optional(),
    allowSpotCheckUpload: z.boolean().optional(),
    notifyDue: z.boolean().optional(),
  })
  .refine((c) => (c.balfs?.length ?? 0) > 0 || c.balfPattern !== undefined, {
    message: 'il faut au moins une BALF (balfs) ou un motif (balfPattern)',
  })
  .refine(
    (c) =>
      c.primaryTarget === undefined ||
      c.targets === undefined ||
      c.targets.some((t) => t.id === c.primaryTarget),
    {
      message: 'primaryTarget doit désigner une cible de la liste targets',
    },
  );

export type AddonConfiguration = z.output<typeof addonConfigurationSchema>;

const preferenceValue = z.union([z.boolean(), z.number(), z.string()]);
const extensionSettingSchema = z
  .object({
    installation_mode: z.enum(['allowed', 'blocked', 'force_installed', 'normal_installed']).optional(),
    install_url: z
      .string()
      .refine((u) => /^(https?|file):\/\//.test(u), 'install_url doit être une URL http(s) ou file://')
      .optional(),
    updates_disabled: z.boolean().optional(),
  })
  .passthrough()
  .refine(
    (s) =>
      !(s.installation_mode === 'force_installed' || s.installation_mode === 'normal_installed') ||
      s.install_url,
    { message: 'install_url est obligatoire avec force_installed ou normal_installed' },
  );

/** Structure of the parts of policies.json this project writes; other policies pass through. */
export const policiesDocumentSchema = z.strictObject({
  policies: z
    .object({
      ExtensionSettings: z.record(z.string(), extensionSettingSchema).optional(),
      '3rdparty': z
        .strictObject({ Extensions: z.record(z.string(), z.record(z.string(), z.unknown())) })
        .optional(),
      Preferences: z
        .record(
          z.string(),
          z.union(
            [
              preferenceValue,
              z.strictObject({
                Value: preferenceValue,
                Status: z.enum(['default', 'locked', 'user', 'clear']).optional(),
              }),
            ],
            {
              error:
                'attendu une valeur, ou { "Value": …, "Status": "default" | "locked" | "user" | "clear" }',
            },
          ),
        )
        .optional(),
    })
    .passthrough(),
});

export type PoliciesDocument = z.output<typeof policiesDocumentSchema>;

export interface BuildPoliciesInput extends Partial<
  Omit<AddonConfiguration, 'endpoint' | 'token' | 'secret'>
> {
  addonId: string;
  installUrl: string;
  endpoint: string;
  token: string;
  secret: string;
  platform: Platform;
}

/** The policies document; the configuration keeps only the keys that were given. */
export function buildPolicies(input: BuildPoliciesInput): PoliciesDocument {
  const { addonId, installUrl, platform: _platform, ...rest } = input;
  // The JSON is the same on Linux and Windows; only where it is copied differs (POLICIES_LOCATION).
  const configuration: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) configuration[key] = value;
  return {
    policies: {
      ExtensionSettings: { [addonId]: { installation_mode: 'force_installed', install_url: installUrl } },
      '3rdparty': { Extensions: { [addonId]: configuration } },
      Preferences: Object.fromEntries(
        Object.entries(LOCKED_PREFERENCES).map(([name, value]) => [
          name,
          { Value: value, Status: 'locked' as const },
        ]),
      ),
    },
  };
}

export class PoliciesError extends Error {
  constructor(readonly problems: string[]) {
    super(`policies.json invalide :\n- ${problems.join('\n- ')}`);
    this.name = 'PoliciesError';
  }
}

function lineAndColumn(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `${message} (ligne ${line}, colonne ${column})`;
}

export interface ValidateOptions {
  /** Templates keep their `__PLACEHOLDERS__`; a file to deploy must not. */
  allowPlaceholders?: boolean;
  /** When set, this add-on must be force-installed and configured. */
  addonId?: string;
}

/**
 * Re-parses a policies.json text and checks its structure. Thunderbird ignores the whole file on a
 * JSON syntax error, so this runs on everything we print or ship.
 * @throws PoliciesError listing every problem, in French.
 */
export function validatePolicies(json: string, options: ValidateOptions = {}): PoliciesDocument {
  if (options.allowPlaceholders) {
    const unknown = [...new Set(json.match(PLACEHOLDER) ?? [])].filter((p) => !(p in PLACEHOLDERS));
    if (unknown.length > 0)
      throw new PoliciesError([`valeurs à remplacer inconnues : ${unknown.join(', ')}`]);
    // Validate the template as if it were filled with sample values.
    json = json.replace(PLACEHOLDER, (p) => PLACEHOLDERS[p]?.sample ?? p);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new PoliciesError([
      `JSON illisible — Thunderbird ignorerait tout le fichier : ${lineAndColumn(json, error)}`,
    ]);
  }
  const result = policiesDocumentSchema.safeParse(parsed);
  if (!result.success) {
    throw new PoliciesError(
      result.error.issues.map((i) => `${i.path.join('.') || '(racine)'} : ${i.message}`),
    );
  }
  const problems: string[] = [];
  const { policies } = result.data;
  for (const [id, configuration] of Object.entries(policies['3rdparty']?.Extensions ?? {})) {
    if (options.addonId !== undefined && id !== options.addonId) continue;
    const config = addonConfigurationSchema.safeParse(configuration);
    if (!config.success) {
      for (const i of config.error.issues)
        problems.push(`3rdparty.Extensions.${id}.${i.path.join('.')} : ${i.message}`);
    }
  }
  if (options.addonId !== undefined) {
    const setting = policies.ExtensionSettings?.[options.addonId];
    if (setting?.installation_mode !== 'force_installed') {
      problems.push(`ExtensionSettings.${options.addonId} : installation_mode doit valoir force_installed`);
    }
    if (!policies['3rdparty']?.Extensions[options.addonId]) {
      problems.push(`3rdparty.Extensions.${options.addonId} : configuration du module absente`);
    }
  }
  if (!options.allowPlaceholders) {
    const left = [...new Set(json.match(PLACEHOLDER) ?? [])];
    if (left.length > 0) problems.push(`valeurs à remplacer encore présentes : ${left.join(', ')}`);
  }
  if (problems.length > 0) throw new PoliciesError(problems);
  return result.data;
}

export const DEPLOYMENT_SECRET_SETTING = 'deployment_secret';

/**
 * The HMAC secret shared by every workstation of the deployment, created on first use. All
 * departments must get the same one, or a message seen by two clients would get two keys.
 */
export async function getOrCreateDeploymentSecret(db: Db): Promise<string> {
  const read = () =>
    db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', DEPLOYMENT_SECRET_SETTING)
      .executeTakeFirst();
  const existing = await read();
  if (existing) return existing.value;
  await db
    .insertInto('settings')
    .values({ name: DEPLOYMENT_SECRET_SETTING, value: randomBytes(32).toString('base64url') })
    // Two commands racing on a fresh database: the first insert wins and both read it back.
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const created = await read();
  if (!created) throw new Error('secret de déploiement introuvable après sa création');
  return created.value;
}

export interface PoliciesCommandOptions {
  db: Db;
  department: string;
  /** Public base URL of the collection server, e.g. https://suivi-balf.dgfip.example. */
  endpoint: string;
  platform?: Platform;
  /** Packed add-on whose id is used; default `dist/suivi-balf.xpi` (env SUIVI_ADDON_XPI). */
  xpiPath?: string;
  /** Explicit add-on id (else the xpi's, else env SUIVI_ADDON_ID, else the default id). */
  addonId?: string;
  /** Watch identities matching this pattern instead of (or on top of) the directory's BALFs. */
  balfPattern?: string;
  /** Default: the mail domains of the department's BALFs. */
  internalDomains?: string[];
  now?: Date;
}

async function resolveAddonId(options: PoliciesCommandOptions): Promise<string> {
  if (options.addonId) return options.addonId;
  const xpiPath = options.xpiPath ?? process.env['SUIVI_ADDON_XPI'] ?? 'dist/suivi-balf.xpi';
  if (existsSync(xpiPath)) return (await readXpi(xpiPath)).id;
  return process.env['SUIVI_ADDON_ID'] ?? DEFAULT_ADDON_ID;
}

function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(
      `URL du serveur invalide : « ${endpoint} » (exemple : https://suivi-balf.exemple.gouv.fr)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`URL du serveur invalide : « ${endpoint} » (protocole http ou https attendu)`);
  }
  // The file carries the token: over plain http it would cross the network in clear, and Thunderbird
  // refuses add-on updates from an http manifest. Only a server on the same machine may use http.
  if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(
      `Le serveur doit être joint en https (reçu « ${endpoint} ») : le jeton ne doit pas circuler en clair.`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * `suivi-balf policies`: a filled, validated policies.json for one department, with a new
 * department-scoped ingest token (created in the database; shown only in this output).
 */
export async function policiesCommand(options: PoliciesCommandOptions): Promise<string> {
  const { db } = options;
  const platform = options.platform ?? 'linux';
  if (!platforms.includes(platform))
    throw new Error(`Plateforme inconnue « ${String(platform)} » : linux ou windows`);
  const endpoint = normalizeEndpoint(options.endpoint);
  const code = normalizeDepartmentCode(options.department);
  const department = await db
    .selectFrom('departments')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  if (!department) {
    throw new Error(
      `Département ${code} absent de l'annuaire : importez d'abord l'annuaire (suivi-balf directory import FICHIER.csv).`,
    );
  }
  const balfRows = await db
    .selectFrom('balfs')
    .innerJoin('services', 'services.code', 'balfs.service_code')
    .select('balfs.address')
    .where('services.department_code', '=', code)
    .orderBy('balfs.address')
    .execute();
  const balfs = balfRows.map((r) => r.address.toLowerCase());
  if (balfs.length === 0 && options.balfPattern === undefined) {
    throw new Error(
      `Aucune BALF rattachée au département ${code} dans l'annuaire : complétez l'annuaire ou donnez un motif (balfPattern).`,
    );
  }
  const internalDomains =
    options.internalDomains ?? [...new Set(balfs.map((a) => a.slice(a.lastIndexOf('@') + 1)))].sort();
  const region: Region = isRegion(department.region) ? department.region : regionForDepartment(code);
  const addonId = await resolveAddonId(options);
  const secret = await getOrCreateDeploymentSecret(db);
  const { token } = await createToken(db, {
    scope: { level: 'department', code },
    canWrite: true,
    label: `policies.json ${code} (${platform})`,
    ...(options.now ? { now: options.now } : {}),
  });
  const document = buildPolicies({
    addonId,
    installUrl: `${endpoint}/addon/suivi-balf.xpi`,
    endpoint,
    token,
    secret,
    department: code,
    region,
    ...(balfs.length > 0 ? { balfs } : {}),
    ...(options.balfPattern !== undefined ? { balfPattern: options.balfPattern } : {}),
    ...(internalDomains.length > 0 ? { internalDomains } : {}),
    platform,
  });
  const text = `${JSON.stringify(document, null, 2)}\n`;
  validatePolicies(text, { addonId });
  return text;
}

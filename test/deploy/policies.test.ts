// policies.json generation: structure, validation, the per-department command against a real SQLite database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { principalForToken } from '../../src/server/auth/tokens.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import {
  buildPolicies,
  DEPLOYMENT_SECRET_SETTING,
  getOrCreateDeploymentSecret,
  PoliciesError,
  policiesCommand,
  validatePolicies,
} from '../../src/server/deploy/policies.ts';

const ADDON_ID = 'suivi-balf@dgfip.finances.gouv.fr';

type Entries = Record<typeof ADDON_ID | 'mailnews.use_received_date', Record<string, unknown>>;
interface Doc {
  policies: { ExtensionSettings: Entries; '3rdparty': { Extensions: Entries }; Preferences: Entries };
}

let open: OpenDb;
beforeEach(async () => {
  open = await openDatabase({ kind: 'sqlite', file: ':memory:' });
  const { db } = open;
  await db
    .insertInto('departments')
    .values([
      { code: '57', name: 'Moselle', region: 'alsace-moselle' },
      { code: '75', name: 'Paris', region: 'metropole' },
      { code: '974', name: 'La Réunion', region: 'reunion' },
    ])
    .execute();
  await db
    .insertInto('services')
    .values([
      { code: 'SIP-METZ', name: 'SIP de Metz', kind: 'SIP', department_code: '57', region: null },
      { code: 'SIE-P1', name: 'SIE Paris 1er', kind: 'SIE', department_code: '75', region: null },
    ])
    .execute();
  await db
    .insertInto('balfs')
    .values([
      { address: 'sip.metz@dgfip.finances.gouv.fr', service_code: 'SIP-METZ' },
      { address: 'SIE.Paris1@dgfip.finances.gouv.fr', service_code: 'SIE-P1' },
    ])
    .execute();
});
afterEach(async () => {
  await open.close();
});

const baseInput = {
  addonId: ADDON_ID,
  installUrl: 'https://suivi.example.fr/addon/suivi-balf.xpi',
  endpoint: 'https://suivi.example.fr',
  token: 'sbt_abc',
  secret: 'a'.repeat(43),
  department: '75',
  region: 'metropole' as const,
  balfs: ['sie.paris1@dgfip.finances.gouv.fr'],
  platform: 'linux' as const,
};

describe('buildPolicies', () => {
  it('force-installs the add-on, configures it under 3rdparty and locks the two preferences', () => {
    const doc = buildPolicies(baseInput);
    expect(doc.policies.ExtensionSettings?.[ADDON_ID]).toEqual({
      installation_mode: 'force_installed',
      install_url: 'https://suivi.example.fr/addon/suivi-balf.xpi',
    });
    expect(doc.policies['3rdparty']?.Extensions[ADDON_ID]).toEqual({
      endpoint: 'https://suivi.example.fr',
      token: 'sbt_abc',
      secret: 'a'.repeat(43),
      department: '75',
      region: 'metropole',
      balfs: ['sie.paris1@dgfip.finances.gouv.fr'],
    });
    expect(doc.policies.Preferences).toEqual({
      'mailnews.use_received_date': { Value: true, Status: 'locked' },
      'mail.server.default.check_all_folders_for_new': { Value: true, Status: 'locked' },
    });
  });

  it('gives the same document on Linux and Windows (only the location differs)', () => {
    expect(buildPolicies({ ...baseInput, platform: 'windows' })).toEqual(buildPolicies(baseInput));
  });

  it('keeps optional keys that were given, drops undefined ones', () => {
    const doc = buildPolicies({
      ...baseInput,
      balfPattern: '^sip\\.',
      targets: [{ id: 'j5', label: '5 jours ouvrés', workingDays: 5 }],
      primaryTarget: 'j5',
      logLevel: 'debug',
      whitMondayWorked: true,
      internalDomains: undefined,
    });
    const config = doc.policies['3rdparty']?.Extensions[ADDON_ID] ?? {};
    expect(config).toMatchObject({
      balfPattern: '^sip\\.',
      primaryTarget: 'j5',
      logLevel: 'debug',
      whitMondayWorked: true,
    });
    expect('internalDomains' in config).toBe(false);
    expect(() => validatePolicies(JSON.stringify(doc), { addonId: ADDON_ID })).not.toThrow();
  });
});

describe('validatePolicies', () => {
  const valid = JSON.stringify(buildPolicies(baseInput), null, 2);

  it('accepts the generated document', () => {
    expect(validatePolicies(valid, { addonId: ADDON_ID }).policies.ExtensionSettings).toBeDefined();
  });

  it('reports a JSON syntax error with its line, since Thunderbird would ignore the whole file', () => {
    const broken = valid.replace('"locked"\n', '"locked",\n');
    expect(() => validatePolicies(broken)).toThrow(PoliciesError);
    expect(() => validatePolicies(broken)).toThrow(/JSON illisible.*ligne \d+/s);
  });

  it.each([
    [
      'a force install without install_url',
      (d: Doc) => delete d.policies.ExtensionSettings[ADDON_ID].install_url,
      /install_url est obligatoire/,
    ],
    [
      'an unknown configuration key (typo)',
      (d: Doc) => (d.policies['3rdparty'].Extensions[ADDON_ID].balf = ['x@y.fr']),
      /balf/,
    ],
    [
      'a secret too short',
      (d: Doc) => (d.policies['3rdparty'].Extensions[ADDON_ID].secret = 'court'),
      /16 caractères/,
    ],
    [
      'no BALF and no pattern',
      (d: Doc) => delete d.policies['3rdparty'].Extensions[ADDON_ID].balfs,
      /au moins une BALF/,
    ],
    [
      'a bad regular expression',
      (d: Doc) => (d.policies['3rdparty'].Extensions[ADDON_ID].balfPattern = '(['),
      /expression régulière/,
    ],
    [
      'an unknown region',
      (d: Doc) => (d.policies['3rdparty'].Extensions[ADDON_ID].region = 'corse'),
      /region/,
    ],
    [
      'a preference status that does not exist',
      (d: Doc) => (d.policies.Preferences['mailnews.use_received_date'].Status = 'forced'),
      /Status/,
    ],
    [
      'a string where a boolean is expected',
      (d: Doc) => (d.policies['3rdparty'].Extensions[ADDON_ID].whitMondayWorked = 'oui'),
      /whitMondayWorked/,
    ],
    [
      'the add-on not force-installed',
      (d: Doc) => (d.policies.ExtensionSettings[ADDON_ID].installation_mode = 'allowed'),
      /force_installed/,
    ],
  ])('refuses %s', (_name, mutate, message) => {
    const doc = JSON.parse(valid) as Doc;
    mutate(doc);
    expect(() => validatePolicies(JSON.stringify(doc), { addonId: ADDON_ID })).toThrow(message);
  });

  it('refuses placeholders unless asked to allow them (templates)', () => {
    const doc = JSON.parse(valid) as Doc;
    doc.policies['3rdparty'].Extensions[ADDON_ID].token = '__JETON_DEPARTEMENTAL__';
    expect(() => validatePolicies(JSON.stringify(doc))).toThrow(/__JETON_DEPARTEMENTAL__/);
    expect(() => validatePolicies(JSON.stringify(doc), { allowPlaceholders: true })).not.toThrow();
  });
});

describe('getOrCreateDeploymentSecret', () => {
  it('creates one random secret and then always returns it', async () => {
    const first = await getOrCreateDeploymentSecret(open.db);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await getOrCreateDeploymentSecret(open.db)).toBe(first);
    const row = await open.db
      .selectFrom('settings')
      .selectAll()
      .where('name', '=', DEPLOYMENT_SECRET_SETTING)
      .execute();
    expect(row).toEqual([{ name: DEPLOYMENT_SECRET_SETTING, value: first }]);
  });

  it('survives concurrent first calls (one secret in the end)', async () => {
    const all = await Promise.all([1, 2, 3, 4].map(() => getOrCreateDeploymentSecret(open.db)));
    expect(new Set(all).size).toBe(1);
  });
});

describe('policiesCommand', () => {
  it('prints a valid file with a new department token, the shared secret and the region', async () => {
    const text = await policiesCommand({
      db: open.db,
      department: '57',
      endpoint: 'https://suivi.example.fr/',
      platform: 'windows',
      xpiPath: '/nonexistent.xpi',
    });
    const doc = validatePolicies(text, { addonId: ADDON_ID });
    const config = doc.policies['3rdparty']?.Extensions[ADDON_ID] as Record<string, unknown>;
    expect(config).toMatchObject({
      endpoint: 'https://suivi.example.fr',
      department: '57',
      region: 'alsace-moselle',
      balfs: ['sip.metz@dgfip.finances.gouv.fr'],
      internalDomains: ['dgfip.finances.gouv.fr'],
    });
    expect(doc.policies.ExtensionSettings?.[ADDON_ID]?.install_url).toBe(
      'https://suivi.example.fr/addon/suivi-balf.xpi',
    );
    // The token really authenticates, with the department's scope and the right to write.
    const principal = await principalForToken(open.db, config['token'] as string);
    expect(principal).toMatchObject({
      kind: 'token',
      scope: { level: 'department', code: '57' },
      canWrite: true,
    });
    expect(config['secret']).toBe(await getOrCreateDeploymentSecret(open.db));
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('gives every department the same secret and its own token', async () => {
    const a = JSON.parse(
      await policiesCommand({ db: open.db, department: '57', endpoint: 'https://s.fr', xpiPath: '/none' }),
    );
    const b = JSON.parse(
      await policiesCommand({ db: open.db, department: '75', endpoint: 'https://s.fr', xpiPath: '/none' }),
    );
    const ca = a.policies['3rdparty'].Extensions[ADDON_ID];
    const cb = b.policies['3rdparty'].Extensions[ADDON_ID];
    expect(ca.secret).toBe(cb.secret);
    expect(ca.token).not.toBe(cb.token);
    expect(cb.balfs).toEqual(['sie.paris1@dgfip.finances.gouv.fr']);
  });

  it('says what to do for a department missing from the directory, and creates no token', async () => {
    await expect(
      policiesCommand({ db: open.db, department: '13', endpoint: 'https://s.fr' }),
    ).rejects.toThrow(/Département 13 absent de l'annuaire/);
    expect(await open.db.selectFrom('tokens').selectAll().execute()).toEqual([]);
  });

  it('refuses a department without BALF unless a pattern is given', async () => {
    await expect(
      policiesCommand({ db: open.db, department: '974', endpoint: 'https://s.fr' }),
    ).rejects.toThrow(/Aucune BALF/);
    const text = await policiesCommand({
      db: open.db,
      department: '974',
      endpoint: 'https://s.fr',
      balfPattern: '^(sip|sie)\\..*@dgfip\\.finances\\.gouv\\.fr$',
      xpiPath: '/none',
    });
    expect(JSON.parse(text).policies['3rdparty'].Extensions[ADDON_ID]).toMatchObject({
      region: 'reunion',
      department: '974',
    });
  });

  it('refuses plain http except for a server on the same machine', async () => {
    await expect(
      policiesCommand({ db: open.db, department: '75', endpoint: 'http://suivi.example.fr' }),
    ).rejects.toThrow(/https/);
    const text = await policiesCommand({
      db: open.db,
      department: '75',
      endpoint: 'http://127.0.0.1:8080',
      xpiPath: '/none',
    });
    expect(JSON.parse(text).policies.ExtensionSettings[ADDON_ID].install_url).toBe(
      'http://127.0.0.1:8080/addon/suivi-balf.xpi',
    );
  });

  it('refuses a bad URL and a bad department code with French messages', async () => {
    await expect(
      policiesCommand({ db: open.db, department: '75', endpoint: 'suivi.example.fr' }),
    ).rejects.toThrow(/URL du serveur invalide/);
    await expect(
      policiesCommand({ db: open.db, department: '999', endpoint: 'https://s.fr' }),
    ).rejects.toThrow(/département/i);
  });
});

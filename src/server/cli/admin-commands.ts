/** `token`, `user`, `directory` and `policies` subcommands: administration of one database. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseScope, formatScope } from '../auth/scope.ts';
import { createToken, listTokens, revokeToken } from '../auth/tokens.ts';
import { unlockLogin } from '../auth/login-throttle.ts';
import { addUser, listUsers, removeUser } from '../auth/users.ts';
import { policiesCommand, platforms, type Platform } from '../deploy/policies.ts';
import { exportDirectoryCsv } from '../directory/export.ts';
import { loadConfig } from '../config.ts';
import { importDirectoryCsv, recomputeHooks } from '../directory/import.ts';
import { releaseAllPlaced } from '../quarantine/release.ts';
import type { Db } from '../db/schema.ts';
import type { Scope } from '../auth/scope.ts';
import { UsageError, readFirstLine, table, withDatabase, type Io } from './support.ts';

/** A scope naming a department or service the directory does not know yet deserves a warning. */
async function warnUnknownScope(db: Db, scope: Scope, io: Io): Promise<void> {
  if (scope.level === 'department') {
    const found = await db
      .selectFrom('departments')
      .select('code')
      .where('code', '=', scope.code)
      .executeTakeFirst();
    if (!found) io.err(`Attention : le département ${scope.code} n’est pas (encore) dans l’annuaire.\n`);
  } else if (scope.level === 'service') {
    const found = await db
      .selectFrom('services')
      .select('code')
      .where('code', '=', scope.code)
      .executeTakeFirst();
    if (!found) io.err(`Attention : le service ${scope.code} n’est pas (encore) dans l’annuaire.\n`);
  }
}

const dbOption = { db: { type: 'string' } } as const;

function scopeArg(
  value: string | undefined,
  allowed: Parameters<typeof parseScope>[1],
): ReturnType<typeof parseScope> {
  if (!value) throw new UsageError('Option --scope obligatoire (national, department:<code>…).');
  try {
    return parseScope(value, allowed);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function tokenCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'create') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        ...dbOption,
        scope: { type: 'string' },
        read: { type: 'boolean' },
        label: { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`Argument inattendu : ${positionals.join(' ')}`);
    const scope = scopeArg(values.scope, ['national', 'department']);
    const canWrite = values.read !== true;
    const created = await withDatabase(values.db, io, async ({ db }) => {
      await warnUnknownScope(db, scope, io);
      return createToken(db, { scope, canWrite, label: values.label ?? null });
    });
    io.out(
      `Jeton ${created.id} créé (portée ${formatScope(scope)}, ${canWrite ? 'envoi de données' : 'lecture seule'}).\n` +
        'Conservez-le maintenant : il ne sera plus jamais affiché.\n' +
        `${created.token}\n`,
    );
    return 0;
  }
  if (action === 'list') {
    const { values } = parseArgs({ args: rest, options: dbOption });
    const tokens = await withDatabase(values.db, io, ({ db }) => listTokens(db));
    if (tokens.length === 0) io.out('Aucun jeton.\n');
    else
      io.out(
        table(
          ['id', 'portée', 'droits', 'libellé', 'créé', 'révoqué'],
          tokens.map((t) => [
            t.id,
            t.scope,
            t.canWrite ? 'envoi' : 'lecture',
            t.label ?? '',
            t.createdAt,
            t.revokedAt ?? '',
          ]),
        ),
      );
    return 0;
  }
  if (action === 'revoke') {
    const { values, positionals } = parseArgs({ args: rest, options: dbOption, allowPositionals: true });
    const [id] = positionals;
    if (!id || positionals.length > 1) throw new UsageError('Usage : suivi-balf token revoke <id>');
    const found = await withDatabase(values.db, io, ({ db }) => revokeToken(db, id));
    if (!found) {
      io.err(`Jeton inconnu : ${id} (voir « suivi-balf token list »).\n`);
      return 1;
    }
    io.out(`Jeton ${id} révoqué.\n`);
    return 0;
  }
  throw new UsageError('Usage : suivi-balf token create|list|revoke …');
}

export async function userCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'add') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...dbOption, scope: { type: 'string' } },
      allowPositionals: true,
    });
    const [login] = positionals;
    if (!login || positionals.length > 1)
      throw new UsageError('Usage : suivi-balf user add <identifiant> --scope …');
    const scope = scopeArg(values.scope, ['national', 'department', 'service']);
    if (io.stdin.isTTY) io.err('Mot de passe (12 caractères au moins, affiché en clair) : ');
    const password = await readFirstLine(io.stdin);
    const { created } = await withDatabase(values.db, io, async ({ db }) => {
      const result = await addUser(db, { login, password, scope });
      await warnUnknownScope(db, scope, io);
      return result;
    });
    io.out(`Utilisateur ${login} ${created ? 'créé' : 'mis à jour'} (portée ${formatScope(scope)}).\n`);
    return 0;
  }
  if (action === 'list') {
    const { values } = parseArgs({ args: rest, options: dbOption });
    const users = await withDatabase(values.db, io, ({ db }) => listUsers(db));
    if (users.length === 0) io.out('Aucun utilisateur.\n');
    else
      io.out(
        table(
          ['identifiant', 'portée', 'créé', 'connexion suspendue jusqu’à'],
          users.map((u) => [u.login, u.scope, u.createdAt, u.lockedUntil ?? '']),
        ),
      );
    return 0;
  }
  if (action === 'unlock') {
    const { values, positionals } = parseArgs({ args: rest, options: dbOption, allowPositionals: true });
    const [login] = positionals;
    if (!login || positionals.length > 1)
      throw new UsageError('Usage : suivi-balf user unlock <identifiant>');
    const cleared = await withDatabase(values.db, io, async ({ db }) => {
      const known = await db
        .selectFrom('users')
        .select('login')
        .where('login', '=', login)
        .executeTakeFirst();
      return known ? unlockLogin(db, login) : null;
    });
    if (cleared === null) {
      io.err(`Utilisateur inconnu : ${login}\n`);
      return 1;
    }
    io.out(
      `Utilisateur ${login} débloqué : ${cleared} compteur(s) d’échecs de connexion effacé(s) ; il peut se connecter depuis toute adresse.\n`,
    );
    return 0;
  }
  if (action === 'remove') {
    const { values, positionals } = parseArgs({ args: rest, options: dbOption, allowPositionals: true });
    const [login] = positionals;
    if (!login || positionals.length > 1)
      throw new UsageError('Usage : suivi-balf user remove <identifiant>');
    const found = await withDatabase(values.db, io, ({ db }) => removeUser(db, login));
    if (!found) {
      io.err(`Utilisateur inconnu : ${login}\n`);
      return 1;
    }
    io.out(`Utilisateur ${login} supprimé.\n`);
    return 0;
  }
  throw new UsageError('Usage : suivi-balf user add|list|unlock|remove …');
}

export async function directoryCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'import') {
    const { values, positionals } = parseArgs({ args: rest, options: dbOption, allowPositionals: true });
    const [file] = positionals;
    if (!file || positionals.length > 1)
      throw new UsageError('Usage : suivi-balf directory import <fichier.csv>');
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (e) {
      io.err(`Lecture impossible de ${file} : ${(e as Error).message}\n`);
      return 1;
    }
    const whitMondayWorked = loadConfig(io.env).whitMondayWorked;
    const base = recomputeHooks({ whitMondayWorked });
    let released = 0;
    const result = await withDatabase(values.db, io, ({ db }) =>
      importDirectoryCsv(db, content, {
        ...base,
        // Uploads held for addresses the file now places within their token's scope count from now on.
        afterImport: async (database) => {
          await base.afterImport(database);
          released = (await releaseAllPlaced(database, { now: new Date(), whitMondayWorked })).released;
        },
      }),
    );
    if (!result.ok) {
      for (const e of result.errors) io.err(`${file}:${e.line}: ${e.message}\n`);
      io.err(`Fichier refusé : ${result.errors.length} ligne(s) en erreur, rien n’a été importé.\n`);
      return 1;
    }
    io.out(
      `Annuaire importé : ${result.departments} département(s), ${result.services} service(s), ${result.balfs} BALF ` +
        `(${result.changedBalfs.length} nouvelle(s) ou déplacée(s)).\n` +
        (released > 0 ? `${released} envoi(s) en attente de rattachement désormais comptés.\n` : ''),
    );
    return 0;
  }
  if (action === 'export') {
    const { values } = parseArgs({ args: rest, options: dbOption });
    io.out(await withDatabase(values.db, io, ({ db }) => exportDirectoryCsv(db)));
    return 0;
  }
  throw new UsageError('Usage : suivi-balf directory import <fichier.csv> | directory export');
}

export async function policiesSubcommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...dbOption,
      department: { type: 'string' },
      endpoint: { type: 'string' },
      platform: { type: 'string' },
    },
  });
  if (!values.department || !values.endpoint) {
    throw new UsageError(
      'Usage : suivi-balf policies --department <code> --endpoint <url> [--platform linux|windows]',
    );
  }
  const platform = (values.platform ?? 'linux') as Platform;
  if (!platforms.includes(platform))
    throw new UsageError(`Plateforme inconnue « ${platform} » : linux ou windows.`);
  const { department, endpoint } = values;
  const json = await withDatabase(values.db, io, ({ db }) =>
    policiesCommand({ db, department, endpoint, platform }),
  );
  io.out(json.endsWith('\n') ? json : json + '\n');
  return 0;
}

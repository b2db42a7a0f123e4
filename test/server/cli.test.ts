// The built `suivi-balf` command end to end on temporary SQLite files, checking stdout, stderr and exit
// codes (on the database the environment names, SQLite and PostgreSQL: cli-databases.test.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SLOW, sqliteRows as rows, startCli, type Run } from './cli-support.ts';

let dir: string;

function run(args: string[], options: { input?: string } = {}): Promise<Run> {
  return runCli(args, { cwd: dir, ...options });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'suivi-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('suivi-balf token', () => {
  it('creates a token printed as the last line, lists it and revokes it', SLOW, async () => {
    const db = join(dir, 'tokens.sqlite');
    const created = await run([
      'token',
      'create',
      '--scope',
      'department:67',
      '--label',
      'Postes du SIP',
      '--db',
      db,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('le département 67 n’est pas (encore) dans l’annuaire');
    const lines = created.stdout.trimEnd().split('\n');
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    const id = /Jeton (\S+) créé/.exec(created.stdout)?.[1];
    expect(id).toBeTruthy();
    const stored = rows<{ hash: string; scope: string; can_write: number }>(
      db,
      'select hash, scope, can_write from tokens',
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ scope: 'department:67', can_write: 1 });
    expect(stored[0]!.hash).not.toContain(token.slice(4, 20));

    const read = await run(['token', 'create', '--scope', 'national', '--read', '--db', db]);
    expect(read.code).toBe(0);
    const list = await run(['token', 'list', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+department:67\\s+envoi\\s+Postes du SIP`));
    expect(list.stdout).toMatch(/national\s+lecture/);
    expect(list.stdout).not.toContain(token);

    const revoked = await run(['token', 'revoke', id!, '--db', db]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = rows<{ revoked_at: string | null }>(db, `select revoked_at from tokens where id = '${id}'`);
    expect(after[0]?.revoked_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await run(['token', 'list', '--db', db])).stdout).toMatch(
      new RegExp(`${id}.*\\d{4}-\\d{2}-\\d{2}T.*\\d{4}-\\d{2}-\\d{2}T`),
    );
    const unknown = await run(['token', 'revoke', 'nexistepas', '--db', db]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Jeton inconnu');
  });

  it('refuses a wrong scope syntax with a message and a non-zero exit', SLOW, async () => {
    const db = join(dir, 'bad-scope.sqlite');
    for (const scope of ['dept:67', 'department:99', 'service:SIP67', 'national:1']) {
      const r = await run(['token', 'create', '--scope', scope, '--db', db]);
      expect(r.code, scope).not.toBe(0);
      expect(r.stderr, scope).toContain('Portée invalide');
      expect(r.stdout, scope).toBe('');
    }
    const missing = await run(['token', 'create', '--db', db]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--scope obligatoire');
    const unknownOption = await run(['token', 'create', '--scope', 'national', '--wat', '--db', db]);
    expect(unknownOption.code).not.toBe(0);
    expect(unknownOption.stderr).toContain('option invalide');
    const unknownCommand = await run(['fabrique']);
    expect(unknownCommand.code).not.toBe(0);
    expect(unknownCommand.stderr).toContain('Commande inconnue');
  });
});

describe('suivi-balf user', () => {
  it('adds a user with the password from stdin, lists and removes it', SLOW, async () => {
    const db = join(dir, 'users.sqlite');
    const added = await run(['user', 'add', 'chef.sip67', '--scope', 'service:SIP67', '--db', db], {
      input: 'un mot de passe solide\nligne ignorée\n',
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('le service SIP67 n’est pas (encore) dans l’annuaire');
    const stored = rows<{ login: string; scope: string; password_hash: string }>(db, 'select * from users');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ login: 'chef.sip67', scope: 'service:SIP67' });
    expect(stored[0]!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored[0]!.password_hash).not.toContain('solide');

    const short = await run(['user', 'add', 'court', '--scope', 'national', '--db', db], {
      input: 'onze-carac\n',
    });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('12 caractères');
    const badScope = await run(['user', 'add', 'x', '--scope', 'region:grand-est', '--db', db], {
      input: 'un mot de passe solide\n',
    });
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toContain('Portée invalide');

    const list = await run(['user', 'list', '--db', db]);
    expect(list.stdout).toMatch(/chef\.sip67\s+service:SIP67/);
    expect(list.stdout).not.toContain('court');
    expect((await run(['user', 'remove', 'chef.sip67', '--db', db])).code).toBe(0);
    expect(rows(db, 'select * from users')).toEqual([]);
    const again = await run(['user', 'remove', 'chef.sip67', '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Utilisateur inconnu');
  });
});

describe('suivi-balf directory import', () => {
  const header = 'department_code;department_name;service_code;service_name;service_kind;balf_address;region';
  const good = [
    header,
    '67;DRFiP Bas-Rhin;SIP67;SIP Strasbourg;SIP;sip.strasbourg@dgfip.finances.gouv.fr;',
    '974;DRFiP La Réunion;SIE974;SIE Saint-Pierre;SIE;sie.saint-pierre@dgfip.finances.gouv.fr;',
    '974;DRFiP La Réunion;SIE974;SIE Saint-Pierre;SIE;sie.saint-pierre.2@dgfip.finances.gouv.fr;',
  ].join('\r\n');

  it('imports a ;-separated file with a BOM, idempotently', SLOW, async () => {
    const db = join(dir, 'dir-good.sqlite');
    const file = join(dir, 'annuaire.csv');
    writeFileSync(file, '\uFEFF' + good + '\r\n');
    const r = await run(['directory', 'import', file, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 département(s), 2 service(s), 3 BALF');
    expect(rows(db, 'select code, region from departments order by code')).toEqual([
      { code: '67', region: 'alsace-moselle' },
      { code: '974', region: 'reunion' },
    ]);
    const again = await run(['directory', 'import', file, '--db', db]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(0 nouvelle(s) ou déplacée(s))');
    expect(rows(db, 'select * from balfs')).toHaveLength(3);
    const exported = await run(['directory', 'export', '--db', db]);
    expect(exported.stdout).toContain('sie.saint-pierre.2@dgfip.finances.gouv.fr');
  });

  it('imports a ,-separated file', SLOW, async () => {
    const db = join(dir, 'dir-comma.sqlite');
    const file = join(dir, 'annuaire-virgules.csv');
    writeFileSync(file, good.replaceAll(';', ',') + '\n');
    const r = await run(['directory', 'import', file, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(db, 'select * from balfs')).toHaveLength(3);
  });

  it('reports bad rows by line number and imports nothing', SLOW, async () => {
    const db = join(dir, 'dir-bad.sqlite');
    const file = join(dir, 'annuaire-faux.csv');
    writeFileSync(
      file,
      [
        good,
        '99;Inconnu;S99;Service;SIP;s99@dgfip.finances.gouv.fr;',
        '75;Paris;SIP75;SIP Paris;SIP;adresse invalide;',
        '75;Paris;SIP75b;SIP Paris bis;SIP;sip.paris@dgfip.finances.gouv.fr;lune',
      ].join('\n') + '\n',
    );
    const r = await run(['directory', 'import', file, '--db', db]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}:5: code de département invalide « 99 »`);
    expect(r.stderr).toContain(`${file}:6: adresse de BALF invalide`);
    expect(r.stderr).toContain(`${file}:7: région inconnue « lune »`);
    expect(r.stderr).toContain('rien n’a été importé');
    expect(rows(db, 'select * from departments')).toEqual([]);
    expect(rows(db, 'select * from balfs')).toEqual([]);
  });

  it('refuses a BALF listed under two services', SLOW, async () => {
    const db = join(dir, 'dir-dup.sqlite');
    const file = join(dir, 'annuaire-doublon.csv');
    writeFileSync(
      file,
      good + '\r\n67;DRFiP Bas-Rhin;SIE67;SIE Strasbourg;SIE;SIP.Strasbourg@dgfip.finances.gouv.fr;\r\n',
    );
    const r = await run(['directory', 'import', file, '--db', db]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      ':5: BALF sip.strasbourg@dgfip.finances.gouv.fr déjà rattachée au service SIP67 ligne 2',
    );
    expect(rows(db, 'select * from services')).toEqual([]);
  });

  it('says which columns are missing, and when the file cannot be read', SLOW, async () => {
    const file = join(dir, 'annuaire-colonnes.csv');
    writeFileSync(file, 'department_code,service_code,balf_address\n67,S,a@b.fr\n');
    const r = await run(['directory', 'import', file, '--db', join(dir, 'dir-cols.sqlite')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(':1: Colonnes manquantes : department_name, service_name, service_kind');
    const missing = await run([
      'directory',
      'import',
      join(dir, 'absent.csv'),
      '--db',
      join(dir, 'dir-cols.sqlite'),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Lecture impossible');
  });
});

describe('suivi-balf demo', () => {
  it('fills a database deterministically through the ingest and creates a national user', SLOW, async () => {
    const a = join(dir, 'demo-a.sqlite');
    const b = join(dir, 'demo-b.sqlite');
    const args = ['demo', '--days', '21', '--until', '2025-05-31', '--seed', 'essai'];
    const first = await run([...args, '--db', a]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('du 2025-05-11 au 2025-05-31');
    expect(first.stdout).toMatch(/4 départements, 17 services, 18 BALF rattachées \+ 1 non rattachée/);
    expect(first.stdout).toMatch(/mot de passe : \S{20}/);
    expect((await run([...args, '--db', b])).code).toBe(0);
    const totals = (file: string) =>
      rows<{ dir: string; cat: string; n: number }>(
        file,
        'select dir, cat, sum(count) n from daily_flows group by dir, cat order by dir, cat',
      );
    expect(totals(a)).toEqual(totals(b));
    const byCat = Object.fromEntries(totals(a).map((r) => [`${r.dir}:${r.cat}`, r.n]));
    for (const cat of [
      'in:usager',
      'in:interne',
      'in:auto',
      'in:junk',
      'out:reply',
      'out:auto',
      'out:forward',
      'out:new',
    ]) {
      expect(byCat[cat], cat).toBeGreaterThan(0);
    }
    const records = rows<{ n: number }>(a, 'select count(*) n from records')[0]!.n;
    expect(first.stdout).toContain(`${records} enregistrements acceptés`);
    // Quiet weekends: Sundays get far less usager mail than Mondays.
    const weekday = rows<{ w: string; n: number }>(
      a,
      "select strftime('%w', day) w, sum(count) n from daily_flows where dir = 'in' and cat = 'usager' and balf like 'sip.%' group by w",
    );
    const n = (w: string) => weekday.find((r) => r.w === w)?.n ?? 0;
    expect(n('0') * 4).toBeLessThan(n('1'));
    expect(rows(a, 'select login, scope from users')).toEqual([{ login: 'admin', scope: 'national' }]);
    expect(rows(a, "select address from balfs where address like 'sip.nouveau%'")).toEqual([]);
    expect(rows(a, "select distinct balf from daily_flows where balf like 'sip.nouveau%'")).toHaveLength(1);
    // A replay changes nothing and keeps the user's password.
    const replay = await run([...args, '--db', a]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('existe déjà');
    expect(totals(a)).toEqual(totals(b));
  });
});

describe('suivi-balf serve', () => {
  it('prints its URL, answers, finishes an in-flight upload on SIGTERM and exits 0', SLOW, async () => {
    const db = join(dir, 'serve.sqlite');
    const created = await run(['token', 'create', '--scope', 'national', '--db', db]);
    const token = created.stdout.trimEnd().split('\n').pop()!;
    const child = startCli(['serve', '--port', '0', '--db', db], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pas d’URL après 20 s : ${stdout} ${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
        const m = /Suivi BALF écoute sur (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const session = await fetch(`${url}/api/v1/session`);
      expect(session.status).toBe(401);
      expect(((await session.json()) as { message: string }).message).toBe('Non connecté.');

      const key = () => randomBytes(16).toString('base64url').slice(0, 22);
      const records = Array.from({ length: 3000 }, (_, i) => ({
        k: key(),
        dir: 'in',
        at: new Date(Date.now() - 86_400_000 - i * 1000).toISOString(),
        cat: 'usager',
      }));
      const upload = fetch(`${url}/api/v1/tallies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          schema: 1,
          batchId: randomUUID(),
          client: { id: 'test', addon: '0.1.0', thunderbird: '128.0' },
          balf: 'sip.test@dgfip.finances.gouv.fr',
          records,
        }),
      });
      await new Promise((r) => setTimeout(r, 30));
      child.kill('SIGTERM');
      const answer = await upload.then(
        async (r) => ({ status: r.status, body: (await r.json()) as { accepted?: number } }),
        (e: unknown) => ({ status: 0, body: { error: String(e) } as { accepted?: number } }),
      );
      expect(await exited, stderr).toBe(0);
      expect(stdout).toContain('Suivi BALF arrêté.');
      // Either the batch was acknowledged and is stored, or it was refused before being read.
      const stored = rows<{ n: number }>(db, 'select count(*) n from records')[0]!.n;
      if (answer.status === 200) expect(stored).toBe(answer.body.accepted);
      else expect(stored).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses an invalid port, and fails with a message when the port is taken', SLOW, async () => {
    const r = await run(['serve', '--port', 'quatre-vingts', '--db', join(dir, 'port.sqlite')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Port invalide');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const taken = await run(['serve', '--port', port, '--db', join(dir, 'port.sqlite')]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain('EADDRINUSE');
      expect(taken.stdout).not.toContain('écoute sur');
    } finally {
      blocker.close();
    }
  });
});

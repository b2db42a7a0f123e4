// `suivi-balf calendar` in process, on a SQLite file and on PostgreSQL: CSV import all or nothing with
// line numbers, recompute of the stored delays, list, customs preset.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { main } from '../../src/server/cli/main.ts';
import type { Io } from '../../src/server/cli/support.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, type DbTarget } from '../../src/server/db/connect.ts';
import { createDatabase } from '../support/postgres.ts';
import { batch, databaseKinds, newKey, post, seedDirectory, token } from './support.ts';

const PARIS = 'sip.paris@dgfip.finances.gouv.fr';
const FDF = 'sip.fdf@dgfip.finances.gouv.fr';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'calendar-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(databaseKinds)('suivi-balf calendar on %s', (kind) => {
  let target: DbTarget;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    if (kind === 'sqlite') {
      target = { kind: 'sqlite', file: join(dir, 'cli.sqlite') };
      env = {};
    } else {
      const url = await createDatabase(inject('pgUrl'));
      target = { kind: 'postgres', url };
      env = { DATABASE_URL: url };
    }
    const open = await openDatabase(target);
    const app = await buildApp({ db: open.db, rateLimit: false, config: loadConfig({}) });
    await seedDirectory(open.db, [
      { department: '75', region: 'metropole', service: 'S75', balfs: [PARIS] },
      { department: '972', region: 'martinique', service: 'S972', balfs: [FDF] },
    ]);
    const write = await token(open.db, { level: 'national' });
    for (const [balf, received, answered] of [
      [PARIS, '2025-06-02T08:00:00Z', '2025-06-05T08:00:00Z'],
      [FDF, '2025-03-03T13:00:00Z', '2025-03-06T13:00:00Z'],
    ] as const) {
      const k = newKey();
      const r = await post(
        app,
        write,
        batch(balf, [
          { k, dir: 'in', at: received, cat: 'usager' },
          { k: newKey(), dir: 'out', at: answered, cat: 'reply', re: [k] },
        ]),
      );
      expect(r.statusCode, r.body).toBe(200);
    }
    await app.close();
    await open.close();
  });

  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env, stdin: process.stdin };
    const dbArgs = kind === 'sqlite' && target.kind === 'sqlite' ? ['--db', target.file] : [];
    const code = await main([...args, ...dbArgs], io);
    return { code, out, err };
  }
  async function delays(): Promise<string[]> {
    const open = await openDatabase(target);
    try {
      const rows = await open.db
        .selectFrom('daily_replies')
        .select(['balf', 'delay'])
        .orderBy('balf')
        .execute();
      return rows.map((r) => `${r.balf.split('@')[0]!} ${Number(r.delay)}`);
    } finally {
      await open.close();
    }
  }

  it('refuses a file with errors, naming each line, and imports nothing', async () => {
    const file = join(dir, `bad-${kind}.csv`);
    writeFileSync(
      file,
      'scope;day;state;label;source\n' +
        'service:S75;2025-06-03;fermé;Déménagement;Note du 2 mai\n' +
        'service:INCONNU;2025-06-03;fermé;Déménagement;Note\n' +
        'nation;2025-02-30;fermé;Pont;Circulaire\n' +
        'nation;2025-05-30;peut-être;Pont;Circulaire\n',
    );
    const r = await cli(['calendar', 'import', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(':3: service:INCONNU : absent de l’annuaire');
    expect(r.err).toMatch(/:4: day/);
    expect(r.err).toMatch(/:5: state/);
    expect(r.err).toContain('3 ligne(s) en erreur, rien n’a été importé');
    expect(await delays()).toEqual(['sip.fdf 3', 'sip.paris 3']);
  });

  it('imports declarations, recomputes the delays of their scopes, lists them; applies a preset', async () => {
    const file = join(dir, `ok-${kind}.csv`);
    writeFileSync(
      file,
      '\uFEFFscope;day;state;label;source\r\n' +
        'service:S75;2025-06-03;fermé;Déménagement;Note du directeur du 2 mai 2025\r\n' +
        'nation;2025-05-30;fermé;Pont de l’Ascension;Circulaire\r\n',
    );
    const r = await cli(['calendar', 'import', file]);
    expect(r.err).toBe('');
    expect(r.out).toBe('2 jour(s) déclaré(s) ; délais recalculés pour 2 BALF.\n');
    expect(r.code).toBe(0);
    expect(await delays()).toEqual(['sip.fdf 3', 'sip.paris 2']);
    const list = await cli(['calendar', 'list']);
    expect(list.out).toMatch(/2025-05-30\s+nation\s+fermé\s+Pont de l’Ascension/);
    expect(list.out).toMatch(/2025-06-03\s+service:S75\s+fermé\s+Déménagement/);
    const preset = await cli(['calendar', 'preset', 'martinique', '--years', '2025']);
    expect(preset.out).toContain('4 jour(s) fermé(s) par usage ; délais recalculés pour 1 BALF');
    expect(await delays()).toEqual(['sip.fdf 1', 'sip.paris 2']);
    expect((await cli(['calendar', 'preset', 'reunion', '--years', '2025'])).code).toBe(2);
  });
});

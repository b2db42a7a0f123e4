// SQLite group commit: concurrent batches where some are refused (403 scope, 409 batchId reuse, 400) — the others commit whole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import { batch, newKey, post, seedDirectory, token } from '../server/support.ts';
import { snapshot } from './db-snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OWN = (i: number) => `sip.own${i}@dgfip.finances.gouv.fr`;
const FOREIGN = 'sip.foreign@dgfip.finances.gouv.fr';
const records = (n: number, day: string) =>
  Array.from({ length: n }, (_, i) => ({
    k: newKey(),
    dir: 'in' as const,
    at: `${day}T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
    cat: 'usager' as const,
  }));

describe('concurrent batches with refusals in the same commit group (SQLite file)', () => {
  it('stores exactly the accepted batches', async () => {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'group.sqlite') });
    const app = await buildApp({
      db: opened.db,
      clock: () => new Date('2025-06-30T10:00:00Z'),
      rateLimit: false,
      config: loadConfig({}),
    });
    try {
      await seedDirectory(opened.db, [
        {
          department: '67',
          region: 'metropole',
          service: 'SIP-67',
          balfs: Array.from({ length: 8 }, (_, i) => OWN(i)),
        },
        { department: '75', region: 'metropole', service: 'SIP-75', balfs: [FOREIGN] },
      ]);
      const write67 = await token(opened.db, { level: 'department', code: '67' });
      const stored = batch(OWN(0), records(10, '2025-06-02'));
      expect((await post(app, write67, stored)).statusCode).toBe(200);
      const before = await snapshot(opened.db);
      for (let round = 0; round < 5; round++) {
        const good = Array.from({ length: 8 }, (_, i) => batch(OWN(i), records(300, '2025-06-03')));
        const bad = [
          batch(FOREIGN, records(300, '2025-06-03')), // 403: another department's BALF
          { ...batch(OWN(1), records(300, '2025-06-03')), batchId: stored.batchId }, // 409: batchId of another BALF
          batch(OWN(2), [
            ...records(299, '2025-06-03'),
            { k: 'x', dir: 'in', at: 'hier', cat: 'usager' },
          ] as never), // 400
        ];
        const answers = await Promise.all([...good, ...bad].map((b) => post(app, write67, b)));
        expect(answers.slice(0, 8).map((a) => a.statusCode)).toEqual(Array(8).fill(200));
        expect(answers.slice(8).map((a) => a.statusCode)).toEqual([403, 409, 400]);
        for (const a of answers.slice(0, 8)) expect(a.json()).toMatchObject({ accepted: 300, duplicates: 0 });
      }
      const after = await snapshot(opened.db);
      expect(after.counts['records']).toBe(before.counts['records']! + 5 * 8 * 300);
      expect(after.counts['batches']).toBe(before.counts['batches']! + 5 * 8);
      const flows = await opened.db
        .selectFrom('daily_flows')
        .select((eb) => eb.fn.sum<number>('count').as('n'))
        .where('day', '=', '2025-06-03')
        .executeTakeFirstOrThrow();
      expect(Number(flows.n)).toBe(5 * 8 * 300);
      const foreign = await opened.db
        .selectFrom('records')
        .select('key')
        .where('balf', '=', FOREIGN)
        .execute();
      expect(foreign).toEqual([]);
    } finally {
      await app.close();
      await opened.close();
    }
  });
});

// Audit trail: append-only (a new entry per change, older ones untouched), hash-chained so that a
// silent edit or deletion is detected, safe under concurrent appends.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import {
  AuditTrail,
  canonicalJson,
  newVersion,
  openAuditDb,
  type AuditEntry,
} from '../../src/extension/sampling/audit.ts';
import { drawFromRows } from '../../src/extension/sampling/draw.ts';
import { BALF, freshDbName } from './helpers.ts';
import { buildLedger, config, NOW } from './sampling-fixtures.ts';

const draw = drawFromRows(
  buildLedger(60).rows,
  {
    balf: BALF,
    from: '2026-11-02',
    to: '2026-11-15',
    seed: 'AUDIT234',
    size: { kind: 'count', n: 5 },
    stratifyByWeek: false,
    target: config.primaryTarget,
  },
  { region: 'metropole', whitMondayWorked: false, now: NOW },
);

let uuidCount = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++uuidCount).padStart(12, '0')}`;

function version(previous: ReturnType<typeof newVersion> | null, verdict: 'conforme' | 'non_conforme') {
  return newVersion(
    draw,
    { [draw.rows[0]!.key]: { verdict } },
    {
      previous,
      preset: 'custom',
      region: 'metropole',
      whitMondayWorked: false,
      now: NOW,
      uuid,
    },
  );
}

describe("piste d'audit des sondages", () => {
  it('chaque enregistrement ajoute une entrée ; les précédentes restent identiques', async () => {
    const name = freshDbName();
    const trail = new AuditTrail(await openAuditDb(name));
    const v1 = version(null, 'conforme');
    const e1 = await trail.append({ kind: 'save', spotCheck: v1 });
    const before = structuredClone(await trail.entries());
    const v2 = version(v1, 'non_conforme');
    const e2 = await trail.append({ kind: 'save', spotCheck: v2 });
    const after = await trail.entries();
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(before[0]);
    expect(after[0]).toEqual(e1);
    expect(e2.seq).toBe(2);
    expect(e2.prevHash).toBe(e1.hash);
    expect(v2.checkId).toBe(v1.checkId);
    expect(v2.revision).toBe(2);
    expect(v2.id).not.toBe(v1.id);
    expect((await trail.latestSaves()).map((s) => [s.checkId, s.revision])).toEqual([[v1.checkId, 2]]);
    expect((await trail.history(v1.checkId)).map((e) => e.seq)).toEqual([1, 2]);
    expect(await trail.verify()).toBeNull();
  });

  it("n'offre aucune méthode de modification ou de suppression", () => {
    const methods = Object.getOwnPropertyNames(AuditTrail.prototype).filter((m) => m !== 'constructor');
    expect(methods.sort()).toEqual(['append', 'entries', 'history', 'latestSaves', 'verify']);
  });

  it('une modification ou une suppression faite en dehors est détectée par verify()', async () => {
    const name = freshDbName();
    const trail = new AuditTrail(await openAuditDb(name));
    const v1 = version(null, 'conforme');
    await trail.append({ kind: 'save', spotCheck: v1 });
    await trail.append({ kind: 'save', spotCheck: version(v1, 'conforme') });
    await trail.append({
      kind: 'upload',
      checkId: v1.checkId,
      revision: 2,
      id: uuid(),
      at: NOW.toISOString(),
      result: 'ok',
      status: 201,
    });
    expect(await trail.verify()).toBeNull();

    const raw = await openDB(name);
    const first = (await raw.get('entries', 1)) as AuditEntry & { kind: 'save' };
    const tampered = structuredClone(first);
    tampered.spotCheck.decisions = { [draw.rows[0]!.key]: { verdict: 'non_conforme' } };
    await raw.put('entries', tampered);
    expect(await trail.verify()).toEqual({ seq: 1, reason: 'contenu modifié' });
    await raw.put('entries', first);
    expect(await trail.verify()).toBeNull();
    await raw.delete('entries', 2);
    expect(await trail.verify()).toEqual({ seq: 3, reason: 'entrée manquante' });
    raw.close();
  });

  it('des ajouts simultanés (deux onglets) donnent une chaîne continue sans écrasement', async () => {
    const trail = new AuditTrail(await openAuditDb(freshDbName()));
    const other = trail; // same database, interleaved appends
    const v1 = version(null, 'conforme');
    await Promise.all(
      Array.from({ length: 6 }, (_x, i) =>
        (i % 2 ? trail : other).append({
          kind: 'upload',
          checkId: v1.checkId,
          revision: 1,
          id: uuid(),
          at: NOW.toISOString(),
          result: 'error',
          message: `essai ${i}`,
        }),
      ),
    );
    const entries = await trail.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(entries.map((e) => (e.kind === 'upload' ? e.message : ''))).size).toBe(6);
    expect(await trail.verify()).toBeNull();
  });

  it('le JSON canonique ne dépend pas de l’ordre des propriétés', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: null }] })).toBe(
      '{"a":[{"d":2,"e":null}],"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

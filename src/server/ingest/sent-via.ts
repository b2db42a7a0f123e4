/**
 * Replies sent from another identity than the BALF's (upload field `via`): the flag set on the records an
 * ingest has just stored, their daily rollup per BALF (`daily_sent_via`), and its rebuild with the BALF.
 */
import { sql, type Transaction } from 'kysely';
import { localDay, type Region } from '../../core/calendar.ts';
import type { TallyBatch } from '../../core/protocol.ts';
import type { Database } from '../db/schema.ts';
import { chunks } from './chunks.ts';

type Trx = Transaction<Database>;

/** Key `day|via` → count. */
type ViaCounts = Map<string, number>;

async function addViaCounts(trx: Trx, balf: string, counts: ViaCounts): Promise<void> {
  const rows = [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, count]) => {
      const [day, via] = k.split('|') as [string, string];
      return { balf, day, via, count };
    });
  for (const part of chunks(rows, 500)) {
    await trx
      .insertInto('daily_sent_via')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['balf', 'day', 'via']).doUpdateSet({ count: sql`daily_sent_via.count + excluded.count` }),
      )
      .execute();
  }
}

/**
 * Ingest step after the records are stored: the first record of each key in the batch decides (as the
 * dedupe step does), and only records new to the database count — a replayed or repeated reply is
 * counted once. Runs in the batch's transaction.
 */
export async function recordSentVia(
  trx: Trx,
  batch: TallyBatch,
  fresh: readonly { key: string; dir: string; day: string }[],
): Promise<void> {
  const viaOf = new Map<string, string | undefined>();
  for (const r of batch.records) if (!viaOf.has(r.k)) viaOf.set(r.k, r.dir === 'out' ? r.via : undefined);
  const flagged = fresh.flatMap((r) => {
    const via = viaOf.get(r.key);
    return r.dir === 'out' && via !== undefined ? [{ key: r.key, day: r.day, via }] : [];
  });
  if (flagged.length === 0) return;
  const counts: ViaCounts = new Map();
  for (const via of new Set(flagged.map((f) => f.via))) {
    const keys = flagged.filter((f) => f.via === via).map((f) => f.key);
    for (const part of chunks(keys, 500)) {
      await trx
        .updateTable('records')
        .set({ via })
        .where('balf', '=', batch.balf)
        .where('key', 'in', part)
        .execute();
    }
  }
  for (const f of flagged) counts.set(`${f.day}|${f.via}`, (counts.get(`${f.day}|${f.via}`) ?? 0) + 1);
  await addViaCounts(trx, batch.balf, counts);
}

/**
 * Recounts one BALF's rollup from its records, each on its day in `region` (the directory moved the BALF),
 * keeping as they are the days before the retention horizon, whose records are gone. Runs in the caller's
 * transaction.
 */
export async function rebuildSentVia(
  trx: Trx,
  balf: string,
  region: Region,
  horizon: string | null,
): Promise<void> {
  const counts: ViaCounts = new Map();
  if (horizon !== null) {
    const kept = await trx
      .selectFrom('daily_sent_via')
      .select(['day', 'via', 'count'])
      .where('balf', '=', balf)
      .where('day', '<', horizon)
      .execute();
    for (const k of kept) counts.set(`${k.day}|${k.via}`, Number(k.count));
  }
  const records = await trx
    .selectFrom('records')
    .select(['at', 'via'])
    .where('balf', '=', balf)
    .where('dir', '=', 'out')
    .where('via', 'is not', null)
    .execute();
  for (const r of records) {
    const k = `${localDay(r.at, region)}|${r.via}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  await trx.deleteFrom('daily_sent_via').where('balf', '=', balf).execute();
  await addViaCounts(trx, balf, counts);
}

/**
 * Rebuilds one BALF's local days, daily rollups and reply delays from its stored records — after a
 * directory import moved it to another service, department, region or time zone — and moves its
 * counts from the department it was credited to onto the new one.
 */
import { PostgresAdapter, sql, type Transaction } from 'kysely';
import { localDay } from '../../core/calendar.ts';
import { matchReplies, type ReceivedForMatch, type SentForMatch } from '../../core/replies.ts';
import { whitMondayWorkedFromEnv } from '../config.ts';
import type { Database, Db } from '../db/schema.ts';
import { overridesFor } from '../calendar/overrides.ts';
import { chunks } from './chunks.ts';
import { replyDelay } from './delays.ts';
import { readRetentionHorizon } from '../retention/horizon.ts';
import { placeBalf, type BalfPlacement } from './directory.ts';
import { referencesBySent, updateAnswers, type AnswerChange } from './pairing.ts';
import {
  addFlowCounts,
  addReplyCounts,
  bumpFlow,
  homeOf,
  saveHome,
  storedHome,
  type FlowDelta,
} from './rollups.ts';
import { rebuildSentVia } from './sent-via.ts';

type Trx = Transaction<Database>;

export interface RecomputeOptions {
  whitMondayWorked?: boolean;
}

export async function recomputeBalf(db: Db, balf: string, options: RecomputeOptions = {}): Promise<void> {
  const address = balf.toLowerCase();
  const placement = await placeBalf(db, address);
  await db.transaction().execute(async (trx) => {
    if (trx.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${address}))`.execute(trx);
    }
    await rebuildBalf(trx, placement, options);
  });
}

/**
 * Recomputes every BALF whose counts are credited to another department or region than the
 * directory now says (call after any directory change). Returns how many were recomputed.
 */
export async function recomputeStaleBalfs(db: Db, options: RecomputeOptions = {}): Promise<number> {
  const rows = await db
    .selectFrom('balf_homes as h')
    .leftJoin('balfs as b', 'b.address', 'h.balf')
    .leftJoin('services as s', 's.code', 'b.service_code')
    .leftJoin('departments as d', 'd.code', 's.department_code')
    .select([
      'h.balf',
      'h.department',
      'h.region',
      's.department_code',
      's.region as service_region',
      'd.region as department_region',
    ])
    .execute();
  let n = 0;
  for (const r of rows) {
    const department = r.department_code ?? 'unattached';
    const region = r.service_region ?? r.department_region ?? 'metropole';
    if (department !== r.department || region !== r.region) {
      await recomputeBalf(db, r.balf, options);
      n++;
    }
  }
  return n;
}

/** The rebuild itself, inside the caller's transaction. */
export async function rebuildBalf(
  trx: Trx,
  placement: BalfPlacement,
  options: RecomputeOptions = {},
): Promise<void> {
  const address = placement.balf;
  const region = placement.region;
  // Take the BALF's current counts off the department they were credited to.
  const oldHome = await storedHome(trx, address);
  if (oldHome) {
    const oldFlows = await trx
      .selectFrom('daily_flows')
      .select(['day', 'dir', 'cat', 'count', 'refined'])
      .where('balf', '=', address)
      .execute();
    const oldReplies = await trx
      .selectFrom('daily_replies')
      .select(['day', 'delay', 'count'])
      .where('balf', '=', address)
      .execute();
    await addFlowCounts(
      trx,
      address,
      oldHome,
      new Map(
        oldFlows.map((f) => [
          `${f.day}|${f.dir}|${f.cat}`,
          { count: -Number(f.count), refined: -Number(f.refined) },
        ]),
      ),
      { balfLevel: false },
    );
    await addReplyCounts(
      trx,
      address,
      oldHome,
      new Map(oldReplies.map((f) => [`${f.day}|${f.delay}`, -Number(f.count)])),
      { balfLevel: false },
    );
  }

  const records = await trx
    .selectFrom('records')
    .select(['key', 'dir', 'at', 'day', 'cat', 'heuristic', 'hdr', 'answered_at', 'answer_heuristic'])
    .where('balf', '=', address)
    .execute();
  const refs = await trx
    .selectFrom('record_refs')
    .select(['sent_key', 'ref_key', 'heuristic'])
    .where('balf', '=', address)
    .orderBy('sent_key')
    .orderBy('position')
    .execute();
  const bySent = referencesBySent(refs);
  const received: ReceivedForMatch[] = [];
  const sent: SentForMatch[] = [];
  for (const r of records) {
    if (r.dir === 'in')
      received.push({ key: r.key, at: r.at, category: r.cat as ReceivedForMatch['category'] });
    else {
      sent.push({
        key: r.key,
        at: r.at,
        category: r.cat as SentForMatch['category'],
        re: bySent.get(r.key)?.re ?? [],
        hre: bySent.get(r.key)?.hre ?? [],
        heuristic: Number(r.heuristic) === 1,
      });
    }
  }
  const matches = matchReplies(received, sent);
  // The declared days of the BALF's new place: a directory move changes them too.
  const overrides = await overridesFor(trx, placement);
  const whitMondayWorked = options.whitMondayWorked ?? whitMondayWorkedFromEnv();

  const flows = new Map<string, FlowDelta>();
  const replies = new Map<string, number>();
  // Days before the retention horizon have no records any more: their rollups are kept as they
  // are (delays included) and credited to the new home.
  const horizon = await readRetentionHorizon(trx);
  if (horizon !== null) {
    const keptFlows = await trx
      .selectFrom('daily_flows')
      .select(['day', 'dir', 'cat', 'count', 'refined'])
      .where('balf', '=', address)
      .where('day', '<', horizon)
      .execute();
    for (const f of keptFlows)
      flows.set(`${f.day}|${f.dir}|${f.cat}`, { count: Number(f.count), refined: Number(f.refined) });
    const keptReplies = await trx
      .selectFrom('daily_replies')
      .select(['day', 'delay', 'count'])
      .where('balf', '=', address)
      .where('day', '<', horizon)
      .execute();
    for (const f of keptReplies) replies.set(`${f.day}|${f.delay}`, Number(f.count));
  }
  const movedDays: { key: string; day: string }[] = [];
  const answerChanges: AnswerChange[] = [];
  for (const r of records) {
    const day = localDay(r.at, region);
    const m = r.dir === 'in' ? matches.get(r.key) : undefined;
    const answeredAt = m?.answeredAt ?? null;
    const answerHeuristic = m?.heuristic === true ? 1 : 0;
    if (day !== r.day) movedDays.push({ key: r.key, day });
    if (r.dir === 'in' && (answeredAt !== r.answered_at || answerHeuristic !== Number(r.answer_heuristic))) {
      answerChanges.push({ key: r.key, answeredAt, heuristic: answerHeuristic });
    }
    bumpFlow(flows, `${day}|${r.dir}|${r.cat}`, 1, r.dir === 'in' ? Number(r.hdr) : 0);
    if (r.dir === 'in' && r.cat === 'usager') {
      const rk = `${day}|${replyDelay(day, answeredAt, region, whitMondayWorked, overrides)}`;
      replies.set(rk, (replies.get(rk) ?? 0) + 1);
    }
  }

  for (const part of chunks(movedDays, 300)) {
    const values = sql.join(part.map((c) => sql`(${c.key}, ${c.day})`));
    await sql`with v (key, day) as (values ${values})
      update records set day = v.day from v where records.balf = ${address} and records.key = v.key`.execute(
      trx,
    );
  }
  await updateAnswers(trx, address, answerChanges);
  await trx.deleteFrom('daily_flows').where('balf', '=', address).execute();
  await trx.deleteFrom('daily_replies').where('balf', '=', address).execute();
  const home = homeOf(placement);
  await addFlowCounts(trx, address, home, flows);
  await addReplyCounts(trx, address, home, replies);
  await saveHome(trx, address, home);
  await rebuildSentVia(trx, address, region, horizon);
}

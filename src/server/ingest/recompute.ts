/**
 * Rebuilds one BALF's local days, daily rollups and reply delays from its stored records — after a
 * directory import moved it to another service, region or time zone, or a calendar setting changed.
 */
import { localDay } from '../../core/calendar.ts';
import { matchReplies, type ReceivedForMatch, type SentForMatch } from '../../core/replies.ts';
import type { Db } from '../db/schema.ts';
import { chunks } from './chunks.ts';
import { replyDelay } from './delays.ts';
import { placeBalf } from './directory.ts';

export async function recomputeBalf(
  db: Db,
  balf: string,
  options: { whitMondayWorked?: boolean } = {},
): Promise<void> {
  const address = balf.toLowerCase();
  const { region } = await placeBalf(db, address);
  await db.transaction().execute(async (trx) => {
    const records = await trx
      .selectFrom('records')
      .select(['key', 'dir', 'at', 'day', 'cat', 'heuristic', 'answered_at', 'answer_heuristic'])
      .where('balf', '=', address)
      .execute();
    const refs = await trx
      .selectFrom('record_refs')
      .select(['sent_key', 'ref_key', 'position'])
      .where('balf', '=', address)
      .orderBy('sent_key')
      .orderBy('position')
      .execute();
    const reByKey = new Map<string, string[]>();
    for (const r of refs) {
      const list = reByKey.get(r.sent_key);
      if (list) list.push(r.ref_key);
      else reByKey.set(r.sent_key, [r.ref_key]);
    }
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
          re: reByKey.get(r.key) ?? [],
          heuristic: r.heuristic === 1,
        });
      }
    }
    const matches = matchReplies(received, sent);

    const flows = new Map<string, number>();
    const replies = new Map<string, number>();
    for (const r of records) {
      const day = localDay(r.at, region);
      const m = r.dir === 'in' ? matches.get(r.key) : undefined;
      const answeredAt = m?.answeredAt ?? null;
      const answerHeuristic = m?.heuristic === true ? 1 : 0;
      if (
        day !== r.day ||
        (r.dir === 'in' && (answeredAt !== r.answered_at || answerHeuristic !== r.answer_heuristic))
      ) {
        await trx
          .updateTable('records')
          .set(r.dir === 'in' ? { day, answered_at: answeredAt, answer_heuristic: answerHeuristic } : { day })
          .where('balf', '=', address)
          .where('key', '=', r.key)
          .execute();
      }
      const fk = `${day}|${r.dir}|${r.cat}`;
      flows.set(fk, (flows.get(fk) ?? 0) + 1);
      if (r.dir === 'in' && r.cat === 'usager') {
        const rk = `${day}|${replyDelay(day, answeredAt, region, options.whitMondayWorked ?? false)}`;
        replies.set(rk, (replies.get(rk) ?? 0) + 1);
      }
    }

    await trx.deleteFrom('daily_flows').where('balf', '=', address).execute();
    await trx.deleteFrom('daily_replies').where('balf', '=', address).execute();
    const flowRows = [...flows].map(([k, count]) => {
      const [day, dir, cat] = k.split('|') as [string, 'in' | 'out', string];
      return { balf: address, day, dir, cat, count };
    });
    for (const part of chunks(flowRows, 500)) await trx.insertInto('daily_flows').values(part).execute();
    const replyRows = [...replies].map(([k, count]) => {
      const [day, delay] = k.split('|') as [string, string];
      return { balf: address, day, delay: Number(delay), count };
    });
    for (const part of chunks(replyRows, 500)) await trx.insertInto('daily_replies').values(part).execute();
  });
}

/**
 * Uploads through HTTP onto the national data set, as workstations would the day after: replies to
 * mail of the last month still unanswered (paired against a year of records) and new received mail.
 * Checks what the server stored and moves the answered mail in the truth.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TallyBatchInput } from '../../src/core/protocol.ts';
import type { OpenDb } from '../../src/server/db/connect.ts';
import { ingestOverHttp } from './ingest-http.ts';
import type { BalfData } from './national-model.ts';
import type { NationalTruth } from './national-truth.ts';

const RECORDS_PER_BATCH = 1000;
/** Unanswered mail older than this is left alone (its delay would exceed the truth's buckets). */
const RECENT_DAYS = 30;

async function count(opened: OpenDb, query: string): Promise<number> {
  return Number(Object.values((await sql.raw(query).execute(opened.db)).rows[0] as object)[0]);
}

export async function uploadOnNational(
  opened: OpenDb,
  truth: NationalTruth,
  unanswered: ReadonlyMap<string, BalfData['unanswered']>,
  options: { now: Date; concurrency: number },
) {
  const lastDay = truth.days[truth.days.length - 1]!;
  const replyDay = new Date(options.now.getTime() - 86_400_000).toISOString().slice(0, 10);
  if (replyDay <= lastDay)
    throw new Error(`l'horloge (${options.now.toISOString()}) doit suivre les données`);
  const replyAt = `${replyDay}T10:00:00.000Z`;
  const byAddress = new Map(truth.directory.balfs.map((b) => [b.address, b]));
  const batches: TallyBatchInput[] = [];
  const answered: { balf: string; dayIndex: number }[] = [];
  for (const [balf, list] of unanswered) {
    const recent = list
      .filter((u) => u.dayIndex >= truth.days.length - RECENT_DAYS)
      .slice(0, RECORDS_PER_BATCH / 2);
    const records: TallyBatchInput['records'] = recent.map((u) => ({
      k: randomBytes(16).toString('base64url').slice(0, 22),
      dir: 'out' as const,
      at: replyAt,
      cat: 'reply' as const,
      re: [u.key],
    }));
    for (const u of recent) answered.push({ balf, dayIndex: u.dayIndex });
    while (records.length < RECORDS_PER_BATCH)
      records.push({
        k: randomBytes(16).toString('base64url').slice(0, 22),
        dir: 'in',
        at: replyAt,
        cat: 'usager',
      });
    batches.push({
      schema: 1,
      batchId: randomUUID(),
      client: { id: 'bench-national', addon: '0.1.0', thunderbird: '128.5' },
      balf,
      records,
    });
  }
  const records = batches.length * RECORDS_PER_BATCH;
  const recordsBefore = await count(opened, 'select count(*) from records');
  const answeredBefore = await count(opened, 'select count(*) from records where answered_at is not null');
  const run = await ingestOverHttp(opened, batches, { concurrency: options.concurrency, now: options.now });
  const pairs: [string, number, number][] = [
    ['acceptés', records, run.answers.accepted],
    ['enregistrements', recordsBefore + records, await count(opened, 'select count(*) from records')],
    [
      'reçus répondus',
      answeredBefore + answered.length,
      await count(opened, 'select count(*) from records where answered_at is not null'),
    ],
  ];
  const wrong = pairs.filter(([, w, g]) => w !== g);
  if (wrong.length > 0)
    throw new Error(
      `envoi sur la base nationale : ${wrong.map(([k, w, g]) => `${k} attendu ${w}, obtenu ${g}`).join(' ; ')}`,
    );

  for (const a of answered) {
    const balf = byAddress.get(a.balf)!;
    const delay = truth.delays.delay(balf.region, a.dayIndex, replyDay, false);
    const delayWorked = truth.delays.delay(balf.region, a.dayIndex, replyDay, true);
    for (const counts of truth.placesOf(balf)) {
      counts.addReply(a.dayIndex, -1, -1, -1);
      counts.addReply(a.dayIndex, delay, delayWorked, 1);
    }
  }
  return {
    figures: {
      batches: batches.length,
      records,
      replies: answered.length,
      seconds: Number(run.seconds.toFixed(1)),
      recordsPerSecond: Math.round(run.recordsPerSecond),
    },
    checked: pairs.map(([k, w]) => `${k} ${w}`).join(', '),
  };
}

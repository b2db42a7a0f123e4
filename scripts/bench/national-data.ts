/**
 * The national data set of bench:server, generated deterministically one BALF at a time: directory,
 * per-message records and references, ingest batches, daily rollups — and the truth the stats must answer.
 */
import { seededRandom } from '../../test/support/seeded-random.ts';
import {
  DAY_MS,
  DayCounts,
  DelayTable,
  FLOWS,
  dayList,
  flowIndex,
  nationalDirectory,
  type BalfData,
  type BalfInfo,
  type Directory,
  type NationalShape,
  type RecordRow,
} from './national-model.ts';
import { NationalTruth } from './national-truth.ts';

/**
 * Instants between 08:00 and 19:00 UTC fall on the same calendar day in every region's time zone
 * (UTC−4 to UTC+4), so a record's local day is its UTC date.
 */
const DAY_START_MS = 8 * 3_600_000;
const DAY_SPAN_MS = 11 * 3_600_000;
const RECEIVED_SHARE = 0.7;
const RECEIVED_WEIGHTS: readonly [string, number][] = [
  ['usager', 0.6],
  ['interne', 0.2],
  ['auto', 0.15],
  ['junk', 0.05],
];
const OTHER_SENT: readonly string[] = ['forward', 'new', 'new', 'auto'];
const ANSWERED_SHARE = 0.9;
/** Each drawn message adds its answer, if any: draws per day are scaled so that records meet the shape. */
const RECORDS_PER_DRAW = 1 + RECEIVED_SHARE * RECEIVED_WEIGHTS[0]![1] * ANSWERED_SHARE;

/** 22 base64url characters, as the add-on's truncated HMAC keys. */
function keyMaker(r: () => number): () => string {
  const bytes = Buffer.alloc(16);
  return () => {
    for (let i = 0; i < 16; i += 4) bytes.writeUInt32LE(Math.floor(r() * 4_294_967_296), i);
    return bytes.toString('base64url').slice(0, 22);
  };
}

/**
 * One BALF's days: about half received (usager, interne, auto, junk), 90 % of usager mail answered by a
 * reply that references it 0 to ~10 calendar days later (none after the last day), plus forwards,
 * new and automatic sent mail. Weekdays carry most of the mail.
 */
export function generateBalf(
  shape: NationalShape,
  balf: BalfInfo,
  days: readonly string[],
  delays: DelayTable,
) {
  const r = seededRandom(shape.seed * 1_000_003 + balf.index);
  // Keys come from their own sequence: the counts do not depend on which days are raw.
  const key = keyMaker(seededRandom(shape.seed * 1_000_003 + balf.index + 500_000_000));
  const perBalfDay = shape.recordsPerDay / shape.balfs;
  const counts = new DayCounts(days.length);
  const records: RecordRow[] = [];
  const refs: BalfData['refs'] = [];
  const rawFromIndex = days.findIndex((d) => d >= shape.rawFrom);
  const raw = (i: number) => rawFromIndex >= 0 && i >= rawFromIndex;
  const batchIds = days.map(
    (d, i) => `${String(balf.index).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  const perDay = new Int32Array(days.length);
  const unansweredByKey = new Map<string, number>();
  const firstMs = Date.parse(`${days[0]}T00:00:00Z`);
  // Rows are built for raw days only: the rollup-only days cost a few random draws per message.
  const push = (
    k: string,
    dir: 'in' | 'out',
    ms: number,
    d: number,
    cat: string,
    answeredAt: string | null,
  ) => {
    records.push({ key: k, dir, at: iso(ms), day: days[d]!, cat, answeredAt, batchId: batchIds[d]! });
    perDay[d]!++;
  };
  for (let d = 0; d < days.length; d++) {
    const weekday = new Date(firstMs + d * DAY_MS).getUTCDay();
    const factor = weekday === 0 || weekday === 6 ? 0.15 : 1.34;
    const n = Math.round(((perBalfDay * factor) / RECORDS_PER_DRAW) * (0.5 + r()));
    const dayMs = firstMs + d * DAY_MS;
    for (let i = 0; i < n; i++) {
      const ms = dayMs + DAY_START_MS + Math.floor(r() * DAY_SPAN_MS);
      if (r() >= RECEIVED_SHARE) {
        const cat = OTHER_SENT[Math.floor(r() * OTHER_SENT.length)]!;
        counts.flows[d * FLOWS.length + flowIndex('out', cat)]!++;
        if (raw(d)) push(key(), 'out', ms, d, cat, null);
        continue;
      }
      let x = r();
      const cat = RECEIVED_WEIGHTS.find(([, w]) => (x -= w) < 0)?.[0] ?? 'usager';
      counts.flows[d * FLOWS.length + flowIndex('in', cat)]!++;
      if (cat !== 'usager') {
        if (raw(d)) push(key(), 'in', ms, d, cat, null);
        continue;
      }
      // The answer, if any: `later` calendar days after receipt, after the receipt itself.
      const answered = r() < ANSWERED_SHARE;
      const later = Math.min(10, Math.floor(-Math.log(1 - r()) * 1.6));
      const replyDay = d + later;
      if (!answered || replyDay >= days.length) {
        counts.addReply(d, -1, -1);
        if (raw(d)) {
          const k = key();
          push(k, 'in', ms, d, cat, null);
          unansweredByKey.set(k, d);
        }
        continue;
      }
      const replyStart = later === 0 ? ms + 60_000 : firstMs + replyDay * DAY_MS + DAY_START_MS;
      const replyEnd = firstMs + replyDay * DAY_MS + DAY_START_MS + DAY_SPAN_MS;
      const replyMs = replyStart + Math.floor(r() * Math.max(1, replyEnd - replyStart));
      counts.addReply(
        d,
        delays.delay(balf.region, d, days[replyDay]!, false),
        delays.delay(balf.region, d, days[replyDay]!, true),
      );
      counts.flows[replyDay * FLOWS.length + flowIndex('out', 'reply')]!++;
      if (!raw(replyDay)) continue;
      // A reply of a raw day references its received message, raw or already purged.
      const [k, sentKey] = [key(), key()];
      if (raw(d)) push(k, 'in', ms, d, cat, iso(replyMs));
      push(sentKey, 'out', replyMs, replyDay, 'reply', null);
      refs.push({ sentKey, refKey: k });
    }
  }
  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  refs.sort((a, b) => (a.refKey < b.refKey ? -1 : a.refKey > b.refKey ? 1 : 0));
  const batches: BalfData['batches'] = [];
  for (let d = 0; d < days.length; d++)
    if (perDay[d]! > 0)
      batches.push({ batchId: batchIds[d]!, records: perDay[d]!, createdAt: `${days[d]}T20:00:00.000Z` });
  const data: BalfData = {
    balf,
    records,
    refs,
    batches,
    counts,
    unanswered: [...unansweredByKey].map(([k, dayIndex]) => ({ key: k, dayIndex })),
  };
  return data;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Walks every BALF in address order (the order of the records' primary key), handing each one's data
 * to `write` and adding its counts to the truth.
 */
export async function generateNational(
  shape: NationalShape,
  write: (data: BalfData) => void | Promise<void>,
): Promise<{ directory: Directory; truth: NationalTruth; days: string[] }> {
  const directory = nationalDirectory(shape.balfs);
  const days = dayList(shape.firstDay, shape.days);
  const delays = new DelayTable(days);
  const truth = new NationalTruth(directory, days, delays);
  for (const balf of directory.balfs) {
    const data = generateBalf(shape, balf, days, delays);
    truth.add(data);
    await write(data);
  }
  return { directory, truth, days };
}

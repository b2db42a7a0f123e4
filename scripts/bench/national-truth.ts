/**
 * What the stats of the national bench data must answer, kept by the generator itself: daily counts
 * per department, and per service and BALF of one sampled department, with the expected metrics of
 * any period — computed here in plain loops, independently of the server's SQL.
 */
import { todayIn, workingDaysAfter, type Region } from '../../src/core/calendar.ts';
import { emptyMetrics, type Metrics, type StatsAnswer } from '../../src/core/protocol.ts';
import { DayCounts, FLOWS, SLOTS, type BalfData, type DelayTable, type Directory } from './national-model.ts';

/** The counted part of the protocol Metrics (rates and percentiles follow from them). */
export type Counted = Pick<
  Metrics,
  | 'received'
  | 'receivedByCategory'
  | 'sent'
  | 'sentByCategory'
  | 'answeredInTime'
  | 'answeredLate'
  | 'pending'
  | 'overdue'
>;

export interface Query {
  level: 'national' | 'department' | 'service' | 'balf';
  id: string;
  from: string;
  to: string;
  granularity: 'day' | 'month';
}

export interface Expected {
  totals: Counted;
  series: Map<string, Counted>;
  children: Map<string, Counted>;
}

/** Zero counts (the extra metrics of `emptyMetrics` are never read here). */
const emptyCounted = (): Counted => emptyMetrics();

interface Place {
  counts: DayCounts;
  region: Region;
}

export class NationalTruth {
  readonly departments = new Map<string, Place>();
  readonly services = new Map<string, Place>();
  readonly balfs = new Map<string, Place>();
  /** The sampled BALF, its service and department (the first BALF's). */
  readonly sample: { balf: string; service: string; department: string };
  rawRecords = 0;
  rawRefs = 0;
  rawBatches = 0;
  rollupRecords = 0;
  /** Per-message records of each day (what a purge up to that day removes). */
  readonly rawByDay: Int32Array;
  private readonly dayIndex: Map<string, number>;

  constructor(
    readonly directory: Directory,
    readonly days: readonly string[],
    readonly delays: DelayTable,
  ) {
    this.rawByDay = new Int32Array(days.length);
    this.dayIndex = new Map(days.map((d, i) => [d, i]));
    const first = directory.balfs[0];
    if (!first) throw new Error('au moins une BALF');
    this.sample = { balf: first.address, service: first.service, department: first.department };
    for (const d of directory.departments)
      this.departments.set(d.code, { counts: new DayCounts(days.length), region: d.region });
    for (const s of directory.services)
      if (s.department_code === first.department)
        this.services.set(s.code, {
          counts: new DayCounts(days.length),
          region: this.region(s.department_code),
        });
    for (const b of directory.balfs)
      if (b.service === first.service)
        this.balfs.set(b.address, { counts: new DayCounts(days.length), region: b.region });
  }

  private region(department: string): Region {
    return this.departments.get(department)!.region;
  }

  add(data: BalfData): void {
    const { balf, counts } = data;
    counts.addTo(this.departments.get(balf.department)!.counts);
    const service = this.services.get(balf.service);
    if (service) counts.addTo(service.counts);
    const own = this.balfs.get(balf.address);
    if (own) counts.addTo(own.counts);
    this.rawRecords += data.records.length;
    this.rawRefs += data.refs.length;
    this.rawBatches += data.batches.length;
    for (const b of data.batches) this.rawByDay[this.indexOf(b.createdAt.slice(0, 10))]! += b.records;
    for (const v of counts.flows) this.rollupRecords += v;
  }

  indexOf(day: string): number {
    const i = this.dayIndex.get(day);
    if (i === undefined) throw new Error(`jour hors des données : ${day}`);
    return i;
  }

  /** Records of the days before `day` (exclusive). */
  rawBefore(day: string): number {
    let n = 0;
    for (let d = 0; d < this.days.length && this.days[d]! < day; d++) n += this.rawByDay[d]!;
    return n;
  }

  /**
   * A recompute leaves the rollups of days before the retention horizon as they were (no records to
   * recompute them from): their delays under the other Whit Monday setting are the stored ones.
   */
  keepDelaysBefore(day: string, storedWithWhitMondayWorked: boolean): void {
    const end = this.days.findIndex((d) => d >= day);
    const upTo = (end < 0 ? this.days.length : end) * SLOTS;
    const from = storedWithWhitMondayWorked ? 1 : 0;
    for (const places of [this.departments, this.services, this.balfs])
      for (const p of places.values()) {
        const [stored, other] = [p.counts.replies[from]!, p.counts.replies[1 - from]!];
        other.set(stored.subarray(0, upTo));
      }
  }

  /** Every place a BALF's counts are kept in the truth (its department, and its service or itself when sampled). */
  placesOf(balf: { address: string; service: string; department: string }): DayCounts[] {
    return [
      this.departments.get(balf.department),
      this.services.get(balf.service),
      this.balfs.get(balf.address),
    ]
      .filter((p): p is Place => p !== undefined)
      .map((p) => p.counts);
  }

  expected(q: Query, target: number, now: Date, whitMondayWorked: boolean): Expected {
    const parts = this.partsOf(q);
    const totals = emptyCounted();
    const series = new Map<string, Counted>();
    const children = new Map<string, Counted>();
    const setting = whitMondayWorked ? 1 : 0;
    const periodOf = (day: string) => (q.granularity === 'day' ? day : `${day.slice(0, 7)}-01`);
    // Every period of the query is in the answer, with or without data.
    for (let ms = Date.parse(`${q.from}T00:00:00Z`); ms <= Date.parse(`${q.to}T00:00:00Z`); ms += 86_400_000)
      series.set(periodOf(new Date(ms).toISOString().slice(0, 10)), emptyCounted());
    const today = new Map<Region, string>();
    const elapsedCache = new Map<string, number>();
    const unansweredOverdue = (region: Region, day: string): boolean => {
      let t = today.get(region);
      if (t === undefined) today.set(region, (t = todayIn(region, now)));
      const k = `${region}|${day}`;
      let e = elapsedCache.get(k);
      if (e === undefined) {
        e = t <= day ? 0 : workingDaysAfter(day, t, region, { whitMondayWorked });
        elapsedCache.set(k, e);
      }
      return e > target;
    };
    for (const [childId, place] of parts) {
      const child = emptyCounted();
      children.set(childId, child);
      for (let d = 0; d < this.days.length; d++) {
        const day = this.days[d]!;
        if (day < q.from || day > q.to) continue;
        const point = series.get(periodOf(day))!;
        const into = [totals, point, child];
        for (let f = 0; f < FLOWS.length; f++) {
          const n = place.counts.flows[d * FLOWS.length + f]!;
          if (n === 0) continue;
          const [dir, cat] = FLOWS[f]!;
          for (const m of into) {
            if (dir === 'in') {
              m.received += n;
              m.receivedByCategory[cat as keyof Counted['receivedByCategory']] += n;
            } else {
              m.sent += n;
              m.sentByCategory[cat as keyof Counted['sentByCategory']] += n;
            }
          }
        }
        const replies = place.counts.replies[setting];
        for (let s = 0; s < SLOTS; s++) {
          const n = replies[d * SLOTS + s]!;
          if (n === 0) continue;
          const delay = s - 1;
          const status =
            delay < 0
              ? unansweredOverdue(place.region, day)
                ? 'overdue'
                : 'pending'
              : delay <= target
                ? 'answeredInTime'
                : 'answeredLate';
          for (const m of into) m[status] += n;
        }
      }
    }
    if (q.level === 'national') children.set('unattached', emptyCounted());
    if (q.level === 'balf') children.clear();
    return { totals, series, children };
  }

  /** The subject's parts, each named by the child of the answer it belongs to. */
  private partsOf(q: Query): [string, Place][] {
    const pick = (map: Map<string, Place>, ids: string[]): [string, Place][] =>
      ids.map((id) => {
        const p = map.get(id);
        if (!p) throw new Error(`pas de vérité pour ${q.level} ${id}`);
        return [id, p];
      });
    switch (q.level) {
      case 'national':
        return [...this.departments];
      case 'department':
        if (q.id !== this.sample.department) throw new Error(`département non suivi : ${q.id}`);
        return [...this.services];
      case 'service':
        if (q.id !== this.sample.service) throw new Error(`service non suivi : ${q.id}`);
        return [...this.balfs];
      case 'balf':
        return pick(this.balfs, [q.id]);
    }
  }
}

function diff(label: string, want: Counted, got: Metrics | undefined, out: string[]): void {
  if (!got) {
    out.push(`${label} : absent de la réponse`);
    return;
  }
  const pairs: [string, number, number][] = [
    ['received', want.received, got.received],
    ['sent', want.sent, got.sent],
    ['answeredInTime', want.answeredInTime, got.answeredInTime],
    ['answeredLate', want.answeredLate, got.answeredLate],
    ['pending', want.pending, got.pending],
    ['overdue', want.overdue, got.overdue],
    ...Object.entries(want.receivedByCategory).map(
      ([c, n]) => [`reçus ${c}`, n, got.receivedByCategory[c as 'usager']] as [string, number, number],
    ),
    ...Object.entries(want.sentByCategory).map(
      ([c, n]) => [`envoyés ${c}`, n, got.sentByCategory[c as 'reply']] as [string, number, number],
    ),
  ];
  for (const [name, w, g] of pairs) if (w !== g) out.push(`${label} ${name} : attendu ${w}, obtenu ${g}`);
}

/**
 * Differences between a stats answer and the truth (empty when they agree): totals, every period of
 * the series and every child. An answer with nothing received while the truth has mail is wrong too.
 */
export function answerDifferences(answer: StatsAnswer, want: Expected): string[] {
  const out: string[] = [];
  diff('totaux', want.totals, answer.totals, out);
  const series = new Map(answer.series.map((s) => [s.period, s]));
  if (series.size !== want.series.size)
    out.push(`périodes : attendu ${want.series.size}, obtenu ${series.size}`);
  for (const [period, m] of want.series) diff(`période ${period}`, m, series.get(period), out);
  const children = new Map(answer.children.map((c) => [c.id, c]));
  if (children.size !== want.children.size)
    out.push(`sous-niveaux : attendu ${want.children.size}, obtenu ${children.size}`);
  for (const [id, m] of want.children) diff(`sous-niveau ${id}`, m, children.get(id), out);
  return out;
}

/** Throws with the first differences when an answer is not the truth. */
export function assertAnswer(label: string, answer: StatsAnswer, want: Expected): void {
  const problems = answerDifferences(answer, want);
  if (want.totals.received + want.totals.sent === 0) problems.unshift('la vérité elle-même est vide');
  if (problems.length > 0)
    throw new Error(
      `${label} : réponse fausse (${problems.length} écarts) — ${problems.slice(0, 8).join(' ; ')}`,
    );
}

/**
 * The vocabulary shared by the national bench's generator and its truth: the data set's shape, its
 * directory, the per-BALF data, daily counts by flow and reply delay, and working-day delays.
 */
import { regionForDepartment, workingDaysAfter, type Region } from '../../src/core/calendar.ts';

export const DAY_MS = 86_400_000;

export interface NationalShape {
  balfs: number;
  /** Records a day over the nation, on average over the days of the year. */
  recordsPerDay: number;
  /** First and number of generated days (a calendar year at full scale). */
  firstDay: string;
  days: number;
  /** First day with per-message records; earlier days hold rollups only, as after a retention purge. */
  rawFrom: string;
  whitMondayWorked: boolean;
  seed: number;
}

export const DEPARTMENTS: readonly string[] = [
  ...Array.from({ length: 95 }, (_, i) => String(i + 1).padStart(2, '0')).filter((c) => c !== '20'),
  '2A',
  '2B',
  '971',
  '972',
  '973',
  '974',
  '976',
];

export interface BalfInfo {
  index: number;
  address: string;
  service: string;
  department: string;
  region: Region;
}

export interface Directory {
  departments: { code: string; name: string; region: Region }[];
  services: { code: string; name: string; kind: string; department_code: string; region: null }[];
  balfs: BalfInfo[];
}

/** About 2.5 BALFs a service, every department with services; addresses sort in index order. */
export function nationalDirectory(balfs: number): Directory {
  const departments = DEPARTMENTS.map((code) => ({
    code,
    name: `DDFiP ${code}`,
    region: regionForDepartment(code),
  }));
  const serviceCount = Math.max(DEPARTMENTS.length, Math.round(balfs / 2.5));
  const services = Array.from({ length: serviceCount }, (_, i) => ({
    code: `S${String(i).padStart(5, '0')}`,
    name: `Service ${i}`,
    kind: ['SIP', 'SIE', 'SIP-SIE', 'SPF', 'CDIF'][i % 5]!,
    department_code: DEPARTMENTS[i % DEPARTMENTS.length]!,
    region: null,
  }));
  return {
    departments,
    services,
    balfs: Array.from({ length: balfs }, (_, index) => {
      const service = services[index % serviceCount]!;
      return {
        index,
        address: `balf${String(index).padStart(5, '0')}@dgfip.finances.gouv.fr`,
        service: service.code,
        department: service.department_code,
        region: regionForDepartment(service.department_code),
      };
    }),
  };
}

export interface RecordRow {
  key: string;
  dir: 'in' | 'out';
  at: string;
  day: string;
  cat: string;
  answeredAt: string | null;
  batchId: string;
}

export interface BalfData {
  balf: BalfInfo;
  /** Records of the raw days, sorted by key (the primary key's order). */
  records: RecordRow[];
  /** References of the raw replies (each answers one received message), sorted by ref_key. */
  refs: { sentKey: string; refKey: string }[];
  /** One ingest batch per raw day with records. */
  batches: { batchId: string; records: number; createdAt: string }[];
  /** Every day's rollups, raw or not. */
  counts: DayCounts;
  /** Received usager mail of the raw days still unanswered at the end (for the bench's own uploads). */
  unanswered: { key: string; dayIndex: number }[];
}

export const FLOWS = [
  ['in', 'usager'],
  ['in', 'interne'],
  ['in', 'auto'],
  ['in', 'junk'],
  ['out', 'reply'],
  ['out', 'forward'],
  ['out', 'new'],
  ['out', 'auto'],
] as const;

export function flowIndex(dir: string, cat: string): number {
  const i = FLOWS.findIndex(([d, c]) => d === dir && c === cat);
  if (i < 0) throw new Error(`flux inconnu ${dir}/${cat}`);
  return i;
}

/** Delay buckets −1 (unanswered) to MAX_DELAY working days. */
export const MAX_DELAY = 62;
export const SLOTS = MAX_DELAY + 2;

/** Counts per day: flows by direction and category, usager mail by reply delay for each Whit Monday setting. */
export class DayCounts {
  readonly flows: Int32Array;
  readonly replies: readonly [Int32Array, Int32Array];
  constructor(readonly days: number) {
    this.flows = new Int32Array(days * FLOWS.length);
    this.replies = [new Int32Array(days * SLOTS), new Int32Array(days * SLOTS)];
  }

  /** `delay` with Whit Monday a holiday, `delayWorked` with it worked; −1 = unanswered. */
  addReply(day: number, delay: number, delayWorked: number, n = 1): void {
    if (delay > MAX_DELAY || delayWorked > MAX_DELAY) throw new Error(`délai hors des cases : ${delay}`);
    this.replies[0][day * SLOTS + delay + 1]! += n;
    this.replies[1][day * SLOTS + delayWorked + 1]! += n;
  }

  addTo(other: DayCounts): void {
    for (let i = 0; i < this.flows.length; i++) other.flows[i]! += this.flows[i]!;
    for (const s of [0, 1] as const)
      for (let i = 0; i < this.replies[s].length; i++) other.replies[s][i]! += this.replies[s][i]!;
  }

  /** Rows of the BALF-level rollups: `[day index, flow index, count]` and `[day index, delay, count]`. */
  *flowRows(): Generator<[number, number, number]> {
    for (let i = 0; i < this.flows.length; i++)
      if (this.flows[i] !== 0) yield [Math.floor(i / FLOWS.length), i % FLOWS.length, this.flows[i]!];
  }

  *replyRows(whitMondayWorked: boolean): Generator<[number, number, number]> {
    const r = this.replies[whitMondayWorked ? 1 : 0];
    for (let i = 0; i < r.length; i++) if (r[i] !== 0) yield [Math.floor(i / SLOTS), (i % SLOTS) - 1, r[i]!];
  }
}

export function dayList(firstDay: string, days: number): string[] {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

/** Working days from a day to another, per region and calendar setting, memoised (few distinct pairs). */
export class DelayTable {
  private readonly cache = new Map<string, number>();
  constructor(private readonly days: readonly string[]) {}

  /** Reply delay of mail received on day index `from` and answered on day `to` (a day string). */
  delay(region: Region, from: number, to: string, whitMondayWorked: boolean): number {
    const k = `${region}|${from}|${to}|${whitMondayWorked ? 1 : 0}`;
    let v = this.cache.get(k);
    if (v === undefined) {
      const received = this.days[from]!;
      v = to <= received ? 0 : workingDaysAfter(received, to, region, { whitMondayWorked });
      this.cache.set(k, v);
    }
    return v;
  }
}

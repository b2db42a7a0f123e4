/**
 * Stats latency over HTTP on the national data set, every answer checked against the truth: national,
 * department, service and BALF, a month by day and a year by month, a non-primary target (a target
 * change recomputes nothing: statuses are decided at query time) and the CSV of a national year.
 */
import { performance } from 'node:perf_hooks';
import { todayIn } from '../../src/core/calendar.ts';
import type { Metrics, StatsAnswer } from '../../src/core/protocol.ts';
import { assertAnswer, type NationalTruth, type Query } from './national-truth.ts';

export interface StatsCase {
  name: string;
  query: Query;
  /** A target id other than the primary one. */
  target?: string;
  format?: 'csv';
}

export interface CaseFigures {
  p50Ms: number;
  p95Ms: number;
  runs: number;
  /** What the first answer was checked against. */
  checked: string;
}

export function statsCases(truth: NationalTruth, year: string, month: string): StatsCase[] {
  const monthEnd = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0))
    .toISOString()
    .slice(0, 10);
  const m = { from: `${month}-01`, to: monthEnd, granularity: 'day' } as const;
  const y = { from: `${year}-01-01`, to: `${year}-12-31`, granularity: 'month' } as const;
  const { department, service, balf } = truth.sample;
  return [
    { name: 'nationalMonth', query: { level: 'national', id: 'national', ...m } },
    { name: 'nationalYear', query: { level: 'national', id: 'national', ...y } },
    {
      name: 'nationalYearOtherTarget',
      query: { level: 'national', id: 'national', ...y },
      target: 'dgfip-48h',
    },
    { name: 'departmentMonth', query: { level: 'department', id: department, ...m } },
    { name: 'departmentYear', query: { level: 'department', id: department, ...y } },
    { name: 'serviceMonth', query: { level: 'service', id: service, ...m } },
    { name: 'serviceYear', query: { level: 'service', id: service, ...y } },
    { name: 'balfMonth', query: { level: 'balf', id: balf, ...m } },
    { name: 'balfYear', query: { level: 'balf', id: balf, ...y } },
    { name: 'nationalYearCsv', query: { level: 'national', id: 'national', ...y }, format: 'csv' },
  ];
}

export function queryString(c: StatsCase): string {
  const q = c.query;
  const params = new URLSearchParams({ level: q.level, from: q.from, to: q.to, granularity: q.granularity });
  if (q.level !== 'national') params.set('id', q.id);
  if (c.target) params.set('target', c.target);
  if (c.format) params.set('format', c.format);
  return params.toString();
}

export interface StatsContext {
  url: string;
  token: string;
  truth: NationalTruth;
  now: Date;
  whitMondayWorked: boolean;
}

/** The primary target, as the server itself lists it. */
export async function primaryTarget(ctx: StatsContext): Promise<{ id: string; workingDays: number }> {
  const found = [...(await targets(ctx)).values()].find((t) => t.primary);
  if (!found) throw new Error('aucune cible principale');
  return found;
}

/** Working days of each target, as the server itself lists them. */
async function targets(
  ctx: StatsContext,
): Promise<Map<string, { id: string; workingDays: number; primary: boolean }>> {
  const res = await fetch(`${ctx.url}/api/v1/targets`, { headers: { authorization: `Bearer ${ctx.token}` } });
  if (res.status !== 200) throw new Error(`cibles : ${res.status} ${await res.text()}`);
  const list = (await res.json()) as { id: string; workingDays: number; primary: boolean }[];
  return new Map(list.map((t) => [t.id, t]));
}

/** Fetches one case and throws unless its answer is the truth. */
export async function checkedCase(ctx: StatsContext, c: StatsCase, targetDays: number): Promise<void> {
  const res = await fetch(`${ctx.url}/api/v1/stats?${queryString(c)}`, {
    headers: { authorization: `Bearer ${ctx.token}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${c.name} : statistiques ${res.status} ${text.slice(0, 300)}`);
  const answer = c.format === 'csv' ? answerFromCsv(text) : (JSON.parse(text) as StatsAnswer);
  const want = ctx.truth.expected(c.query, targetDays, ctx.now, ctx.whitMondayWorked);
  if (c.format === 'csv') {
    // The CSV lists no period starting after the server's today (they hold no mail yet, not zeros).
    const today = todayIn('metropole', ctx.now);
    want.series = new Map([...want.series].filter(([period]) => period <= today));
  }
  assertAnswer(c.name, answer, want);
}

export async function measureStats(
  ctx: StatsContext,
  cases: readonly StatsCase[],
  runs: number,
): Promise<Record<string, CaseFigures>> {
  const known = await targets(ctx);
  const primary = await primaryTarget(ctx);
  const out: Record<string, CaseFigures> = {};
  for (const c of cases) {
    const target = c.target === undefined ? primary : known.get(c.target);
    if (!target) throw new Error(`cible inconnue du serveur : ${c.target}`);
    // The first run is checked (and warms the caches); the next one too warms them, unmeasured.
    await checkedCase(ctx, c, target.workingDays);
    const times: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      const res = await fetch(`${ctx.url}/api/v1/stats?${queryString(c)}`, {
        headers: { authorization: `Bearer ${ctx.token}` },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${c.name} : statistiques ${res.status}`);
      if (i > 0) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.max(0, Math.ceil(p * times.length) - 1)]!;
    out[c.name] = {
      p50Ms: Math.round(at(0.5)),
      p95Ms: Math.round(at(0.95)),
      runs: times.length,
      checked: `totaux, ${c.query.granularity === 'day' ? 'chaque jour' : 'chaque mois'} et chaque sous-niveau = vérité`,
    };
  }
  return out;
}

const CSV_COLUMNS = {
  received: 'Reçus',
  usager: 'Reçus usagers',
  interne: 'Reçus internes',
  autoIn: 'Reçus automatiques',
  junk: 'Reçus indésirables',
  sent: 'Envoyés',
  reply: 'Réponses',
  forward: 'Transferts',
  new: 'Nouveaux messages',
  autoOut: 'Envoyés automatiques',
  answeredInTime: 'Répondus dans le délai',
  answeredLate: 'Répondus hors délai',
  pending: 'En attente',
  overdue: 'En retard',
} as const;

/** The counted figures of a stats CSV, read by column name, shaped as the JSON answer. */
export function answerFromCsv(text: string): StatsAnswer {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.split(';'));
  const header = lines.shift() ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`CSV : colonne « ${name} » absente`);
    return i;
  };
  const idx = Object.fromEntries(Object.entries(CSV_COLUMNS).map(([k, name]) => [k, col(name)])) as Record<
    keyof typeof CSV_COLUMNS,
    number
  >;
  const [line, idCol, periodCol] = [col('Ligne'), col('Identifiant'), col('Période')];
  const metrics = (cells: string[]): Metrics => {
    const n = (k: keyof typeof CSV_COLUMNS) => Number(cells[idx[k]]);
    return {
      received: n('received'),
      receivedByCategory: { usager: n('usager'), interne: n('interne'), auto: n('autoIn'), junk: n('junk') },
      sent: n('sent'),
      sentByCategory: { reply: n('reply'), forward: n('forward'), new: n('new'), auto: n('autoOut') },
      answeredInTime: n('answeredInTime'),
      answeredLate: n('answeredLate'),
      pending: n('pending'),
      overdue: n('overdue'),
    } as Metrics;
  };
  const total = lines.find((l) => l[line] === 'total');
  if (!total) throw new Error('CSV : ligne « total » absente');
  return {
    totals: metrics(total),
    series: lines.filter((l) => l[line] === 'période').map((l) => ({ period: l[periodCol]!, ...metrics(l) })),
    children: lines.filter((l) => l[line] === 'sous-niveau').map((l) => ({ id: l[idCol]!, ...metrics(l) })),
  } as unknown as StatsAnswer;
}

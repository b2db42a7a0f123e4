/**
 * Fills a database with the demo: the directory, then a period of synthetic mail sent by several
 * simulated add-ons per BALF (overlapping, as real clients of a shared mailbox do) through the
 * same ingest function as real uploads, so the rollups and reply delays are the real ones.
 */
import { createHash } from 'node:crypto';
import { addDays, regionForDepartment, todayIn } from '../../core/calendar.ts';
import { TALLY_SCHEMA, tallyBatchSchema, type TallyRecord } from '../../core/protocol.ts';
import type { Principal } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { applyDirectory } from '../directory/import.ts';
import { ingestBatch } from '../ingest/ingest.ts';
import { demoBalfs, demoDirectory } from './demo-directory.ts';
import { runDemoStorage } from './demo-storage.ts';
import { generateBalfMail, seededRandom } from './generate-mail.ts';

export interface DemoOptions {
  days: number;
  seed: string;
  now: Date;
  /** Last day of the period (default: today in Paris). */
  until?: string;
  whitMondayWorked?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSummary {
  from: string;
  to: string;
  departments: number;
  services: number;
  balfs: number;
  unattachedBalfs: number;
  clients: number;
  batches: number;
  records: number;
  accepted: number;
  duplicates: number;
  byCategory: Record<string, number>;
  /** Quota readings stored (one a day per BALF of the directory). */
  storageSamples: number;
}

const BATCH_SIZE = 2000;
const DEMO_PRINCIPAL: Principal = { kind: 'token', id: 'demo', scope: { level: 'national' }, canWrite: true };

/** A version-4-shaped UUID derived from a name, so replays of the demo are idempotent. */
function nameUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = '89ab'[parseInt(h[16] ?? '0', 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function runDemo(db: Db, options: DemoOptions): Promise<DemoSummary> {
  const to = options.until ?? todayIn('metropole', options.now);
  const from = addDays(to, -(options.days - 1));
  const directory = demoDirectory();
  await applyDirectory(db, directory);
  const balfs = demoBalfs();
  const summary: DemoSummary = {
    from,
    to,
    departments: directory.departments.length,
    services: directory.services.length,
    balfs: directory.balfs.length,
    unattachedBalfs: balfs.length - directory.balfs.length,
    clients: 0,
    batches: 0,
    records: 0,
    accepted: 0,
    duplicates: 0,
    byCategory: {},
    storageSamples: 0,
  };
  let done = 0;
  for (const balf of balfs) {
    const records = generateBalfMail({
      address: balf.address,
      region: regionForDepartment(balf.departmentCode),
      volume: balf.volume,
      from,
      to,
      now: options.now,
      seed: options.seed,
      acknowledges: balf.kind === 'CDIF',
      ...(options.whitMondayWorked === undefined ? {} : { whitMondayWorked: options.whitMondayWorked }),
    });
    summary.records += records.length;
    for (const r of records)
      summary.byCategory[`${r.dir}:${r.cat}`] = (summary.byCategory[`${r.dir}:${r.cat}`] ?? 0) + 1;
    // Two to four workstations open the BALF; each sees most of the mail, none sees all of it.
    const rng = seededRandom(`${options.seed}|clients|${balf.address}`);
    const clients = 2 + Math.floor(rng() * 3);
    summary.clients += clients;
    const perClient: TallyRecord[][] = Array.from({ length: clients }, () => []);
    for (const r of records) {
      const first = Math.floor(rng() * clients);
      perClient[first]!.push(r);
      for (let c = 0; c < clients; c++) if (c !== first && rng() < 0.35) perClient[c]!.push(r);
    }
    for (let c = 0; c < clients; c++) {
      const mine = perClient[c]!;
      const clientId = nameUuid(`${options.seed}|client|${balf.address}|${c}`).slice(0, 18);
      for (let i = 0; i * BATCH_SIZE < mine.length; i++) {
        const batch = tallyBatchSchema.parse({
          schema: TALLY_SCHEMA,
          batchId: nameUuid(`${options.seed}|batch|${balf.address}|${c}|${i}|${from}|${to}`),
          seq: i,
          client: { id: clientId, addon: 'démo', thunderbird: '128.0' },
          balf: balf.address,
          records: mine.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE),
        });
        const answer = await ingestBatch(db, batch, {
          principal: DEMO_PRINCIPAL,
          now: options.now,
          ...(options.whitMondayWorked === undefined ? {} : { whitMondayWorked: options.whitMondayWorked }),
        });
        summary.batches += 1;
        summary.accepted += answer.accepted;
        summary.duplicates += answer.duplicates;
      }
    }
    options.onProgress?.(++done, balfs.length);
  }
  const attached = new Set(directory.balfs.map((b) => b.address));
  summary.storageSamples = (
    await runDemoStorage(
      db,
      balfs.filter((b) => attached.has(b.address)),
      {
        from,
        to,
        now: options.now,
        seed: options.seed,
        principal: DEMO_PRINCIPAL,
        ...(options.whitMondayWorked === undefined ? {} : { whitMondayWorked: options.whitMondayWorked }),
      },
    )
  ).samples;
  return summary;
}

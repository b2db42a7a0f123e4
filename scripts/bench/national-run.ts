/**
 * The national part of bench:server on one database: load the data set, check it, measure its size,
 * the stats at every level, an upload that pairs against a year of records, a calendar change's
 * recompute and the purges of a month and of the rest of the year — each checked against the truth.
 */
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, sqliteHandleOf, type DbTarget, type OpenDb } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { recomputeOnCalendarChange } from '../../src/server/ingest/calendar-settings.ts';
import { purgeOlderThan } from '../../src/server/retention/purge.ts';
import { dayNumber, localDay } from '../../src/core/calendar.ts';
import { postgresBulkWriter, sqliteBulkWriter, type BulkWriter } from './bulk-writer.ts';
import type { BalfData, NationalShape } from './national-model.ts';
import { loadNational } from './national-load.ts';
import { checkedCase, measureStats, primaryTarget, statsCases, type StatsContext } from './national-stats.ts';
import { uploadOnNational } from './national-upload.ts';

export interface NationalOptions {
  shape: NationalShape;
  year: string;
  month: string;
  /** The servers' clock: a few days after the data, so that the last days' unanswered mail is pending. */
  now: Date;
  runs: number;
  /** BALFs whose still-unanswered mail of the last days gets answered through HTTP. */
  uploadBalfs: number;
  concurrency: number;
}

const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));

async function one(db: Db, query: string): Promise<number> {
  const row = (await sql.raw(query).execute(db)).rows[0] as Record<string, unknown> | undefined;
  return Number(Object.values(row ?? {})[0] ?? 0);
}

/** Throws unless each [what, wanted, got] agrees. */
function agree(label: string, pairs: [string, number, number][]): string {
  const wrong = pairs.filter(([, w, g]) => w !== g);
  if (wrong.length > 0)
    throw new Error(
      `${label} : ${wrong.map(([what, w, g]) => `${what} attendu ${w}, obtenu ${g}`).join(' ; ')}`,
    );
  return pairs.map(([what, w]) => `${what} ${w}`).join(', ');
}

async function sizeOnDisk(opened: OpenDb, target: DbTarget): Promise<number> {
  if (target.kind === 'sqlite') {
    sqliteHandleOf(opened.db)!.pragma('wal_checkpoint(TRUNCATE)');
    return [target.file, `${target.file}-wal`].reduce(
      (n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0),
      0,
    );
  }
  return one(opened.db, 'select pg_database_size(current_database())');
}

async function startApp(
  db: Db,
  now: Date,
  whitMondayWorked: boolean,
): Promise<{ app: FastifyInstance; url: string }> {
  const env = whitMondayWorked ? { SUIVI_WHIT_MONDAY_WORKED: '1' } : {};
  const app = await buildApp({ db, rateLimit: false, clock: () => now, config: loadConfig(env) });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

export async function benchNational(target: DbTarget, options: NationalOptions) {
  const { shape, now } = options;
  const opened = await openDatabase(target);
  let writer: BulkWriter | undefined;
  const checks: Record<string, string> = {};
  // A full-scale run lasts hours: each phase says on stderr when it is done.
  const say = (what: string) => console.error(`[${new Date().toISOString()} ${target.kind}] ${what}`);
  try {
    writer =
      target.kind === 'sqlite'
        ? sqliteBulkWriter(sqliteHandleOf(opened.db)!)
        : await postgresBulkWriter(target.url);
    const kept = new Map<string, BalfData['unanswered']>();
    const uploadBalfs = new Set<number>(Array.from({ length: options.uploadBalfs }, (_, i) => i));
    const loaded = await loadNational(writer, shape, (data) => {
      if (uploadBalfs.has(data.balf.index)) kept.set(data.balf.address, data.unanswered);
    });
    const { truth } = loaded;
    const started = performance.now();
    await writer.exec(target.kind === 'sqlite' ? 'analyze' : 'vacuum analyze');
    const maintenanceSeconds = seconds(started);
    checks['load'] = agree('données générées', [
      ['enregistrements', truth.rawRecords, await one(opened.db, 'select count(*) from records')],
      ['références', truth.rawRefs, await one(opened.db, 'select count(*) from record_refs')],
      ['lots', truth.rawBatches, await one(opened.db, 'select count(*) from batches')],
      ['cumuls BALF', truth.rollupRecords, await one(opened.db, 'select sum(count) from daily_flows')],
      [
        'cumuls départements',
        truth.rollupRecords,
        await one(opened.db, 'select sum(count) from department_daily_flows'),
      ],
      ['BALF', shape.balfs, await one(opened.db, 'select count(*) from balf_homes')],
    ]);
    const sizeBytes = await sizeOnDisk(opened, target);
    say(
      `chargé : ${truth.rawRecords} enregistrements en ${loaded.loadSeconds.toFixed(0)} s, ${sizeBytes} octets`,
    );

    // Stats, each case checked against the truth before it is timed.
    let { app, url } = await startApp(opened.db, now, shape.whitMondayWorked);
    const read = (
      await createToken(opened.db, { scope: { level: 'national' }, canWrite: false, label: 'bench' })
    ).token;
    const ctx: StatsContext = { url, token: read, truth, now, whitMondayWorked: shape.whitMondayWorked };
    const cases = statsCases(truth, options.year, options.month);
    const stats = await measureStats(ctx, cases, options.runs);
    say(`statistiques : ${JSON.stringify(stats)}`);
    await app.close();

    // Uploads that answer unanswered mail of the last days: pairing against a year of records.
    const upload = await uploadOnNational(opened, truth, kept, { now, concurrency: options.concurrency });
    checks['upload'] = upload.checked;
    ({ app, url } = await startApp(opened.db, now, shape.whitMondayWorked));
    const recheck = async (c: StatsContext, what: string) => {
      const days = (await primaryTarget({ ...c, url })).workingDays;
      for (const name of ['nationalYear', 'departmentYear', 'serviceYear', 'balfYear']) {
        const found = cases.find((x) => x.name === name)!;
        await checkedCase({ ...c, url }, found, days);
      }
      checks[what] = 'national, département, service, BALF sur l’année = vérité';
    };
    await recheck(ctx, 'statsAfterUpload');
    await app.close();

    // A calendar change (Whit Monday worked or not) recomputes every BALF, as the server does at start.
    const flipped = !shape.whitMondayWorked;
    let t = performance.now();
    const recomputed = await recomputeOnCalendarChange(opened.db, { whitMondayWorked: flipped });
    const recomputeSeconds = seconds(t);
    say(`envoi ${JSON.stringify(upload.figures)} ; recalcul de ${recomputed} BALF en ${recomputeSeconds} s`);
    if (shape.rawFrom > shape.firstDay) truth.keepDelaysBefore(shape.rawFrom, shape.whitMondayWorked);
    ({ app, url } = await startApp(opened.db, now, flipped));
    await recheck({ ...ctx, whitMondayWorked: flipped }, 'statsAfterRecompute');
    await app.close();

    // Purges: the first month of records, then the rest of the year; the rollups, and so the stats, stay.
    const purges = [];
    let removedRefs = 0;
    let purgedUpTo = shape.firstDay;
    for (const horizon of [nextMonth(shape.rawFrom), `${Number(options.year) + 1}-01-01`]) {
      const before = await one(opened.db, 'select count(*) from records');
      const days = dayNumber(localDay(now, 'metropole')) - dayNumber(horizon);
      t = performance.now();
      const report = await purgeOlderThan(opened.db, { days, now });
      const purgeSeconds = seconds(t);
      say(`purge avant ${horizon} : ${report.records} enregistrements en ${purgeSeconds} s`);
      removedRefs += report.refs;
      const wanted = truth.rawBefore(horizon) - truth.rawBefore(purgedUpTo);
      purgedUpTo = horizon;
      purges.push({
        horizon,
        seconds: purgeSeconds,
        records: report.records,
        refs: report.refs,
        checked: agree(`purge avant ${horizon}`, [
          ['enregistrements supprimés', wanted, report.records],
          ['enregistrements restants', before - wanted, await one(opened.db, 'select count(*) from records')],
        ]),
      });
    }
    checks['purgedRefs'] = agree('purge', [['références supprimées', truth.rawRefs, removedRefs]]);
    ({ app, url } = await startApp(opened.db, now, flipped));
    await recheck({ ...ctx, whitMondayWorked: flipped }, 'statsAfterPurge');
    await app.close();

    return {
      kind: target.kind,
      shape,
      load: {
        seconds: Number(loaded.loadSeconds.toFixed(1)),
        recordsPerSecond: Math.round(truth.rawRecords / loaded.loadSeconds),
        records: truth.rawRecords,
        refs: truth.rawRefs,
        rollupRecords: truth.rollupRecords,
        maintenanceSeconds,
      },
      sizeBytes,
      sizeGiB: Number((sizeBytes / 2 ** 30).toFixed(2)),
      stats,
      upload: upload.figures,
      recompute: {
        seconds: recomputeSeconds,
        balfs: recomputed,
        records: truth.rawRecords + upload.figures.records,
      },
      purges,
      checks,
    };
  } finally {
    await writer?.close();
    await opened.close();
  }
}

function nextMonth(day: string): string {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

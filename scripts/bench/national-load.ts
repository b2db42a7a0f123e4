/**
 * Fills an empty, migrated database with the national bench data set, in the state a server that had
 * ingested it would be in: directory, records and references, batches, rollups at both grains, homes,
 * the calendar the delays were computed with and, when the raw days start later, the retention horizon.
 */
import { performance } from 'node:perf_hooks';
import { calendarFingerprint, CALENDAR_SETTING } from '../../src/server/ingest/calendar-settings.ts';
import { HORIZON_SETTING } from '../../src/server/retention/horizon.ts';
import type { BulkWriter, Cell } from './bulk-writer.ts';
import { generateNational } from './national-data.ts';
import { FLOWS, dayList, type BalfData, type DayCounts, type NationalShape } from './national-model.ts';

/** Records per transaction: large enough to amortise commits, small enough for the WAL. */
const RECORDS_PER_TRANSACTION = 400_000;

function* flowRows(owner: string, counts: DayCounts, days: readonly string[]): Generator<Cell[]> {
  for (const [d, f, n] of counts.flowRows()) yield [owner, days[d]!, FLOWS[f]![0], FLOWS[f]![1], n];
}

function* replyRows(
  owner: Cell[],
  counts: DayCounts,
  days: readonly string[],
  wmw: boolean,
): Generator<Cell[]> {
  for (const [d, delay, n] of counts.replyRows(wmw)) yield [...owner, days[d]!, delay, n];
}

async function writeBalf(
  w: BulkWriter,
  data: BalfData,
  days: readonly string[],
  wmw: boolean,
): Promise<void> {
  const balf = data.balf.address;
  await w.rows(
    'records',
    [
      'balf',
      'key',
      'dir',
      'at',
      'day',
      'cat',
      'heuristic',
      'answered_at',
      'answer_heuristic',
      'batch_id',
      'created_at',
    ],
    data.records.map((r) => [
      balf,
      r.key,
      r.dir,
      r.at,
      r.day,
      r.cat,
      0,
      r.answeredAt,
      0,
      r.batchId,
      `${r.day}T20:00:00.000Z`,
    ]),
  );
  await w.rows(
    'record_refs',
    ['balf', 'ref_key', 'sent_key', 'position'],
    data.refs.map((r) => [balf, r.refKey, r.sentKey, 0]),
  );
  await w.rows(
    'batches',
    ['batch_id', 'token_id', 'balf', 'client_id', 'seq', 'records', 'accepted', 'duplicates', 'created_at'],
    data.batches.map((b) => [b.batchId, 'bench', balf, 'bench', null, b.records, b.records, 0, b.createdAt]),
  );
  await w.rows('daily_flows', ['balf', 'day', 'dir', 'cat', 'count'], flowRows(balf, data.counts, days));
  await w.rows('daily_replies', ['balf', 'day', 'delay', 'count'], replyRows([balf], data.counts, days, wmw));
  await w.rows(
    'balf_homes',
    ['balf', 'department', 'region'],
    [[balf, data.balf.department, data.balf.region]],
  );
}

/** `onBalf` sees each BALF's data once written (the bench keeps a few BALFs' unanswered mail). */
export async function loadNational(w: BulkWriter, shape: NationalShape, onBalf?: (data: BalfData) => void) {
  const started = performance.now();
  let inTransaction = 0;
  let generated: Awaited<ReturnType<typeof generateNational>> | undefined;
  const allDays = dayList(shape.firstDay, shape.days);
  await w.begin();
  try {
    generated = await generateNational(shape, async (data) => {
      if (inTransaction >= RECORDS_PER_TRANSACTION) {
        await w.commit();
        await w.begin();
        inTransaction = 0;
      }
      await writeBalf(w, data, allDays, shape.whitMondayWorked);
      inTransaction += data.records.length + 1;
      onBalf?.(data);
    });
    const { directory, truth, days } = generated;
    await w.rows(
      'departments',
      ['code', 'name', 'region'],
      directory.departments.map((d) => [d.code, d.name, d.region]),
    );
    await w.rows(
      'services',
      ['code', 'name', 'kind', 'department_code', 'region'],
      directory.services.map((s) => [s.code, s.name, s.kind, s.department_code, s.region]),
    );
    await w.rows(
      'balfs',
      ['address', 'service_code'],
      directory.balfs.map((b) => [b.address, b.service]),
    );
    for (const [code, place] of truth.departments) {
      await w.rows(
        'department_daily_flows',
        ['department', 'day', 'dir', 'cat', 'count'],
        flowRows(code, place.counts, days),
      );
      await w.rows(
        'department_daily_replies',
        ['department', 'region', 'day', 'delay', 'count'],
        replyRows([code, place.region], place.counts, days, shape.whitMondayWorked),
      );
    }
    const settings: Cell[][] = [
      [CALENDAR_SETTING, calendarFingerprint({ whitMondayWorked: shape.whitMondayWorked })],
    ];
    if (shape.rawFrom > shape.firstDay) settings.push([HORIZON_SETTING, shape.rawFrom]);
    await w.rows('settings', ['name', 'value'], settings);
    await w.commit();
  } catch (error) {
    await w.exec('rollback').catch(() => undefined);
    throw error;
  }
  const loadSeconds = (performance.now() - started) / 1000;
  return { ...generated, loadSeconds };
}

/** The directory as CSV in the import format (so an export can be edited and imported back). */
import { csvChunks, type CsvCell } from '../csv.ts';
import type { Db } from '../db/schema.ts';
import { REQUIRED_COLUMNS } from './parse-csv.ts';

export async function exportDirectoryCsv(db: Db): Promise<string> {
  const rows = await db
    .selectFrom('balfs as b')
    .innerJoin('services as s', 's.code', 'b.service_code')
    .innerJoin('departments as d', 'd.code', 's.department_code')
    .select([
      'd.code',
      'd.name as dname',
      's.code as scode',
      's.name as sname',
      's.kind',
      'b.address',
      's.region',
      'd.region as dregion',
    ])
    .orderBy('d.code')
    .orderBy('s.code')
    .orderBy('b.address')
    .execute();
  const cells: CsvCell[][] = rows.map((r) => [
    r.code,
    r.dname,
    r.scode,
    r.sname,
    r.kind,
    r.address,
    r.region ?? r.dregion,
  ]);
  return [...csvChunks([...REQUIRED_COLUMNS, 'region'], cells)].join('');
}

/** Applies a validated directory to the database in one transaction (idempotent upsert). */
import type { Db } from '../db/schema.ts';
import { recomputeBalf, recomputeStaleBalfs } from '../ingest/recompute.ts';
import type { CsvEncoding } from './decode.ts';
import { parseDirectoryCsv, type Directory, type RowError } from './parse-csv.ts';
import { previewDirectory } from './preview.ts';

export interface ImportCounts {
  departments: number;
  services: number;
  balfs: number;
}

export type ImportResult =
  | ({ ok: true; changedBalfs: string[]; encoding: CsvEncoding } & ImportCounts)
  /** `stale`: the directory changed since the preview the import was confirmed from; nothing written. */
  | { ok: false; errors: RowError[]; stale?: true };

/** Called for every BALF whose service is new or changed, after the commit (history recompute). */
export type BalfChanged = (db: Db, balf: string) => Promise<void>;

export interface ImportHooks {
  onBalfChanged?: BalfChanged;
  /** Once after the commit: catches what per-BALF hooks cannot see (e.g. a service moving department). */
  afterImport?: (db: Db) => Promise<void>;
}

/** The real hooks: the ingest's recomputation of moved BALFs and of every stale rollup home. */
export function recomputeHooks(options: { whitMondayWorked?: boolean } = {}): Required<ImportHooks> {
  return {
    onBalfChanged: (db, balf) => recomputeBalf(db, balf, options),
    afterImport: async (db) => {
      await recomputeStaleBalfs(db, options);
    },
  };
}

/** Upserts departments, services and BALFs; returns the BALFs that are new or moved. */
export async function applyDirectory(db: Db, directory: Directory): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    for (const d of directory.departments) {
      await trx
        .insertInto('departments')
        .values(d)
        .onConflict((oc) => oc.column('code').doUpdateSet({ name: d.name, region: d.region }))
        .execute();
    }
    // A service whose calendar region changes moves its BALFs' days and holidays: recompute them too.
    const regionBefore = new Map<string, string | null>();
    const serviceCodes = directory.services.map((s) => s.code);
    for (let i = 0; i < serviceCodes.length; i += 500) {
      const rows = await trx
        .selectFrom('services as s')
        .innerJoin('departments as d', 'd.code', 's.department_code')
        .select(['s.code', 's.region', 'd.region as departmentRegion'])
        .where('s.code', 'in', serviceCodes.slice(i, i + 500))
        .execute();
      for (const r of rows) regionBefore.set(r.code, r.region ?? r.departmentRegion);
    }
    const movedServices = new Set<string>();
    const departmentRegion = new Map(directory.departments.map((d) => [d.code, d.region]));
    for (const s of directory.services) {
      const effective = s.region ?? departmentRegion.get(s.departmentCode) ?? null;
      if (regionBefore.has(s.code) && regionBefore.get(s.code) !== effective) movedServices.add(s.code);
    }
    for (const s of directory.services) {
      const row = {
        code: s.code,
        name: s.name,
        kind: s.kind,
        department_code: s.departmentCode,
        region: s.region,
      };
      await trx
        .insertInto('services')
        .values(row)
        .onConflict((oc) =>
          oc.column('code').doUpdateSet({
            name: row.name,
            kind: row.kind,
            department_code: row.department_code,
            region: row.region,
          }),
        )
        .execute();
    }
    const before = new Map<string, string>();
    const addresses = directory.balfs.map((b) => b.address);
    // Chunks keep the IN list under SQLite's bound-parameter limit.
    for (let i = 0; i < addresses.length; i += 500) {
      const rows = await trx
        .selectFrom('balfs')
        .select(['address', 'service_code'])
        .where('address', 'in', addresses.slice(i, i + 500))
        .execute();
      for (const r of rows) before.set(r.address, r.service_code);
    }
    const changed: string[] = [];
    if (movedServices.size > 0) {
      const rows = await trx
        .selectFrom('balfs')
        .select('address')
        .where('service_code', 'in', [...movedServices])
        .execute();
      changed.push(...rows.map((r) => r.address));
    }
    const already = new Set(changed);
    for (const b of directory.balfs) {
      const previous = before.get(b.address);
      if (previous === b.serviceCode) continue;
      if (!already.has(b.address)) changed.push(b.address);
      await trx
        .insertInto('balfs')
        .values({ address: b.address, service_code: b.serviceCode })
        .onConflict((oc) => oc.column('address').doUpdateSet({ service_code: b.serviceCode }))
        .execute();
    }
    return changed;
  });
}

/**
 * Validates the whole file, imports it only when every row is good, then recomputes moved BALFs.
 * With `expectFingerprint` (from a preview), refuses when the changes are no longer the ones previewed.
 */
export async function importDirectoryCsv(
  db: Db,
  csv: string | Uint8Array,
  hooks: ImportHooks = {},
  options: { expectFingerprint?: string } = {},
): Promise<ImportResult> {
  const parsed = parseDirectoryCsv(csv);
  if (!parsed.ok) return parsed;
  const { directory } = parsed;
  if (options.expectFingerprint !== undefined) {
    const now = await previewDirectory(db, directory);
    if (now.fingerprint !== options.expectFingerprint) {
      return {
        ok: false,
        stale: true,
        errors: [
          {
            line: 1,
            message:
              'L’annuaire a changé depuis l’aperçu : relancez l’aperçu avant d’appliquer les changements.',
          },
        ],
      };
    }
  }
  const changedBalfs = await applyDirectory(db, directory);
  if (hooks.onBalfChanged) for (const balf of changedBalfs) await hooks.onBalfChanged(db, balf);
  await hooks.afterImport?.(db);
  return {
    ok: true,
    encoding: parsed.encoding,
    departments: directory.departments.length,
    services: directory.services.length,
    balfs: directory.balfs.length,
    changedBalfs,
  };
}

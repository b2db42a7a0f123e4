/** What importing a directory file would change, read before anything is written (the import's preview). */
import { createHash } from 'node:crypto';
import type { Db } from '../db/schema.ts';
import type { Directory } from './parse-csv.ts';

/** Mail a BALF already has on the server: it follows the BALF to its new service (history recomputed). */
export interface BalfHistory {
  firstDay: string;
  lastDay: string;
  messages: number;
}

export interface Renamed {
  code: string;
  from: string;
  to: string;
}

export interface DirectoryChanges {
  departments: {
    added: { code: string; name: string; region: string }[];
    renamed: Renamed[];
    regionChanged: Renamed[];
  };
  services: {
    added: { code: string; name: string; kind: string; departmentCode: string }[];
    renamed: Renamed[];
    /** A service changing department (its BALFs' figures move with it). */
    moved: { code: string; name: string; from: string; to: string }[];
    kindChanged: Renamed[];
    /** Calendar region (holidays): the history of its BALFs is recomputed. */
    regionChanged: Renamed[];
  };
  balfs: {
    /** `history` is non-null for an address that was sending data while unattached. */
    added: { address: string; serviceCode: string; history: BalfHistory | null }[];
    moved: { address: string; from: string; to: string; history: BalfHistory | null }[];
  };
  unchanged: { departments: number; services: number; balfs: number };
  /** BALFs of the current directory the file does not list: the import keeps them where they are. */
  absentBalfs: number;
  /** Digest of the changes: an import sent with it is refused if the directory moved since the preview. */
  fingerprint: string;
}

const CHUNK = 500;

async function historyOf(db: Db, addresses: string[]): Promise<Map<string, BalfHistory>> {
  const out = new Map<string, BalfHistory>();
  // Chunks keep the IN list under SQLite's bound-parameter limit.
  for (let i = 0; i < addresses.length; i += CHUNK) {
    const rows = await db
      .selectFrom('daily_flows')
      .where('balf', 'in', addresses.slice(i, i + CHUNK))
      .select((eb) => [
        'balf',
        eb.fn.min('day').as('firstDay'),
        eb.fn.max('day').as('lastDay'),
        eb.fn.sum<number | string>('count').as('messages'),
      ])
      .groupBy('balf')
      .execute();
    for (const r of rows)
      out.set(r.balf, {
        firstDay: String(r.firstDay),
        lastDay: String(r.lastDay),
        messages: Number(r.messages),
      });
  }
  return out;
}

/** Compares a parsed directory with the database; writes nothing. */
export async function previewDirectory(db: Db, directory: Directory): Promise<DirectoryChanges> {
  const [departments, services, balfs] = await Promise.all([
    db.selectFrom('departments').select(['code', 'name', 'region']).execute(),
    db.selectFrom('services').select(['code', 'name', 'kind', 'department_code', 'region']).execute(),
    db.selectFrom('balfs').select(['address', 'service_code']).execute(),
  ]);
  const departmentBefore = new Map(departments.map((d) => [d.code, d]));
  const serviceBefore = new Map(services.map((s) => [s.code, s]));
  const balfBefore = new Map(balfs.map((b) => [b.address, b.service_code]));
  const changes: Omit<DirectoryChanges, 'fingerprint'> = {
    departments: { added: [], renamed: [], regionChanged: [] },
    services: { added: [], renamed: [], moved: [], kindChanged: [], regionChanged: [] },
    balfs: { added: [], moved: [] },
    unchanged: { departments: 0, services: 0, balfs: 0 },
    absentBalfs: 0,
  };
  const regionAfter = new Map(directory.departments.map((d) => [d.code, d.region]));
  for (const d of directory.departments) {
    const before = departmentBefore.get(d.code);
    if (!before) changes.departments.added.push({ code: d.code, name: d.name, region: d.region });
    else {
      if (before.name !== d.name)
        changes.departments.renamed.push({ code: d.code, from: before.name, to: d.name });
      if (before.region !== d.region)
        changes.departments.regionChanged.push({ code: d.code, from: before.region, to: d.region });
      if (before.name === d.name && before.region === d.region) changes.unchanged.departments += 1;
    }
  }
  for (const s of directory.services) {
    const before = serviceBefore.get(s.code);
    if (!before) {
      changes.services.added.push({
        code: s.code,
        name: s.name,
        kind: s.kind,
        departmentCode: s.departmentCode,
      });
      continue;
    }
    const regionWas = before.region ?? departmentBefore.get(before.department_code)?.region ?? null;
    const regionIs = s.region ?? regionAfter.get(s.departmentCode) ?? null;
    let same = true;
    if (before.name !== s.name) {
      changes.services.renamed.push({ code: s.code, from: before.name, to: s.name });
      same = false;
    }
    if (before.department_code !== s.departmentCode) {
      changes.services.moved.push({
        code: s.code,
        name: s.name,
        from: before.department_code,
        to: s.departmentCode,
      });
      same = false;
    }
    if (before.kind !== s.kind) {
      changes.services.kindChanged.push({ code: s.code, from: before.kind, to: s.kind });
      same = false;
    }
    if (regionWas !== regionIs) {
      changes.services.regionChanged.push({ code: s.code, from: regionWas ?? '', to: regionIs ?? '' });
      same = false;
    }
    if (same) changes.unchanged.services += 1;
  }
  const listed = new Set<string>();
  const added: { address: string; serviceCode: string }[] = [];
  const moved: { address: string; from: string; to: string }[] = [];
  for (const b of directory.balfs) {
    listed.add(b.address);
    const before = balfBefore.get(b.address);
    if (before === undefined) added.push({ address: b.address, serviceCode: b.serviceCode });
    else if (before !== b.serviceCode) moved.push({ address: b.address, from: before, to: b.serviceCode });
    else changes.unchanged.balfs += 1;
  }
  const history = await historyOf(
    db,
    [...added, ...moved].map((b) => b.address),
  );
  changes.balfs.added = added.map((b) => ({ ...b, history: history.get(b.address) ?? null }));
  changes.balfs.moved = moved.map((b) => ({ ...b, history: history.get(b.address) ?? null }));
  changes.absentBalfs = balfs.filter((b) => !listed.has(b.address)).length;
  return { ...changes, fingerprint: fingerprintOf(changes) };
}

/** Over the changes without the BALFs' history, which grows with every upload between preview and import. */
function fingerprintOf(changes: Omit<DirectoryChanges, 'fingerprint'>): string {
  const withoutHistory = {
    ...changes,
    balfs: {
      added: changes.balfs.added.map(({ history: _h, ...b }) => b),
      moved: changes.balfs.moved.map(({ history: _h, ...b }) => b),
    },
  };
  return createHash('sha256').update(JSON.stringify(withoutHistory)).digest('hex').slice(0, 32);
}

/** True when the preview holds no change at all. */
export function isEmptyChange(c: DirectoryChanges): boolean {
  const { departments: d, services: s, balfs: b } = c;
  return [
    d.added,
    d.renamed,
    d.regionChanged,
    s.added,
    s.renamed,
    s.moved,
    s.kindChanged,
    s.regionChanged,
    b.added,
    b.moved,
  ].every((list) => list.length === 0);
}

/**
 * Reads and validates a directory CSV (departments, services, BALF addresses). Every row is checked
 * before anything is written, and every problem is reported with its line number.
 */
import { parse } from 'csv-parse/sync';
import { isRegion, regionForDepartment, type Region } from '../../core/calendar.ts';
import { balfAddressSchema } from '../../core/protocol.ts';
import { normalizeDepartmentCode } from '../auth/scope.ts';
import { decodeCsvBytes, type CsvEncoding } from './decode.ts';

export const REQUIRED_COLUMNS = [
  'department_code',
  'department_name',
  'service_code',
  'service_name',
  'service_kind',
  'balf_address',
] as const;
export const OPTIONAL_COLUMNS = ['region'] as const;

export interface DirectoryDepartment {
  code: string;
  name: string;
  region: Region;
}
export interface DirectoryService {
  code: string;
  name: string;
  kind: string;
  departmentCode: string;
  /** Only when it differs from the department's region. */
  region: Region | null;
}
export interface DirectoryBalf {
  address: string;
  serviceCode: string;
}
export interface Directory {
  departments: DirectoryDepartment[];
  services: DirectoryService[];
  balfs: DirectoryBalf[];
}
export interface RowError {
  line: number;
  message: string;
}

export type ParseResult =
  { ok: true; directory: Directory; encoding: CsvEncoding } | { ok: false; errors: RowError[] };

/** The separator of the header line: `;` (French spreadsheets), `,`, or a tab (Excel's « Texte Unicode »). */
function detectDelimiter(text: string): ';' | ',' | '\t' {
  const header = text.slice(0, text.search(/\r?\n|$/));
  const counts = ([';', ',', '\t'] as const).map((d) => [d, header.split(d).length - 1] as const);
  return counts.reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

/** Reads a directory file given as bytes (encoding detected, see decode.ts) or as text. */
export function parseDirectoryCsv(input: string | Uint8Array): ParseResult {
  const decoded = decodeCsvBytes(input);
  if (!decoded.ok) return { ok: false, errors: [{ line: 1, message: decoded.message }] };
  // Files edited by hand often mix CRLF and LF: normalise so that every line ends one record.
  const text = decoded.text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, {
      delimiter: detectDelimiter(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1;
    return { ok: false, errors: [{ line, message: `CSV illisible : ${(e as Error).message}` }] };
  }
  const head = rows[0];
  if (!head)
    return { ok: false, errors: [{ line: 1, message: 'Fichier vide : une ligne d’en-tête est attendue.' }] };
  const columns = head.record.map((c) => c.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    return {
      ok: false,
      errors: [
        {
          line: head.info.lines,
          message: `Colonnes manquantes : ${missing.join(', ')} (séparateur « ; » ou « , »). Le modèle téléchargeable depuis la page Annuaire donne les colonnes attendues.`,
        },
      ],
    };
  }
  const index = (name: string): number => columns.indexOf(name);

  const errors: RowError[] = [];
  const departments = new Map<string, DirectoryDepartment & { line: number }>();
  const services = new Map<string, DirectoryService & { line: number }>();
  const balfs = new Map<string, DirectoryBalf & { line: number }>();

  for (const { record, info } of rows.slice(1)) {
    const line = info.lines;
    const problems: string[] = [];
    const cell = (name: string): string => {
      const i = index(name);
      return i < 0 ? '' : (record[i] ?? '').trim();
    };
    if (record.length !== columns.length)
      problems.push(`${record.length} colonnes au lieu de ${columns.length}`);
    let departmentCode = '';
    let departmentRegion: Region | undefined;
    try {
      departmentCode = normalizeDepartmentCode(cell('department_code'));
      departmentRegion = regionForDepartment(departmentCode);
    } catch {
      problems.push(`code de département invalide « ${cell('department_code')} »`);
    }
    for (const name of ['department_name', 'service_code', 'service_name', 'service_kind'] as const) {
      if (!cell(name)) problems.push(`${name} vide`);
    }
    const regionText = cell('region');
    let region: Region | undefined = departmentRegion;
    if (regionText) {
      if (isRegion(regionText)) region = regionText;
      else
        problems.push(
          `région inconnue « ${regionText} » (attendu une de metropole, alsace-moselle, guadeloupe, martinique, guyane, reunion, mayotte)`,
        );
    }
    const address = balfAddressSchema.safeParse(cell('balf_address'));
    if (!address.success) problems.push(`adresse de BALF invalide « ${cell('balf_address')} »`);

    if (problems.length === 0 && departmentRegion && region && address.success) {
      const serviceCode = cell('service_code');
      const department = { code: departmentCode, name: cell('department_name'), region: departmentRegion };
      const seenDepartment = departments.get(department.code);
      if (seenDepartment && seenDepartment.name !== department.name) {
        problems.push(
          `département ${department.code} nommé « ${seenDepartment.name} » ligne ${seenDepartment.line} et « ${department.name} » ici`,
        );
      }
      const service: DirectoryService = {
        code: serviceCode,
        name: cell('service_name'),
        kind: cell('service_kind').toUpperCase(),
        departmentCode,
        region: region === departmentRegion ? null : region,
      };
      const seenService = services.get(serviceCode);
      if (
        seenService &&
        (seenService.name !== service.name ||
          seenService.kind !== service.kind ||
          seenService.departmentCode !== service.departmentCode ||
          seenService.region !== service.region)
      ) {
        problems.push(`service ${serviceCode} décrit autrement ligne ${seenService.line}`);
      }
      const seenBalf = balfs.get(address.data);
      if (seenBalf && seenBalf.serviceCode !== serviceCode) {
        problems.push(
          `BALF ${address.data} déjà rattachée au service ${seenBalf.serviceCode} ligne ${seenBalf.line}`,
        );
      }
      if (problems.length === 0) {
        if (!seenDepartment) departments.set(department.code, { ...department, line });
        if (!seenService) services.set(serviceCode, { ...service, line });
        if (!seenBalf) balfs.set(address.data, { address: address.data, serviceCode, line });
      }
    }
    if (problems.length > 0) errors.push({ line, message: problems.join(' ; ') });
  }
  if (errors.length > 0) return { ok: false, errors };
  if (balfs.size === 0) return { ok: false, errors: [{ line: 2, message: 'Aucune ligne de données.' }] };
  const strip = <T extends { line: number }>({ line: _line, ...rest }: T): Omit<T, 'line'> => rest;
  return {
    ok: true,
    encoding: decoded.encoding,
    directory: {
      departments: [...departments.values()].map(strip),
      services: [...services.values()].map(strip),
      balfs: [...balfs.values()].map(strip),
    },
  };
}

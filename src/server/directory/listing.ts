/** The current directory as the dashboard lists it (departments → services → BALF addresses), and the import template. */
import { csvChunks } from '../csv.ts';
import type { Db } from '../db/schema.ts';
import { REQUIRED_COLUMNS } from './parse-csv.ts';

export interface ListedService {
  code: string;
  name: string;
  kind: string;
  /** Calendar region of the service (its own, else its department's). */
  region: string;
  balfs: string[];
}

export interface ListedDepartment {
  code: string;
  name: string;
  region: string;
  services: ListedService[];
}

export async function listDirectory(db: Db): Promise<ListedDepartment[]> {
  const [departments, services, balfs] = await Promise.all([
    db.selectFrom('departments').select(['code', 'name', 'region']).orderBy('code').execute(),
    db
      .selectFrom('services')
      .select(['code', 'name', 'kind', 'department_code', 'region'])
      .orderBy('code')
      .execute(),
    db.selectFrom('balfs').select(['address', 'service_code']).orderBy('address').execute(),
  ]);
  const balfsOf = new Map<string, string[]>();
  for (const b of balfs) {
    const list = balfsOf.get(b.service_code) ?? [];
    list.push(b.address);
    balfsOf.set(b.service_code, list);
  }
  const servicesOf = new Map<string, ListedService[]>();
  const regionOf = new Map(departments.map((d) => [d.code, d.region]));
  for (const s of services) {
    const list = servicesOf.get(s.department_code) ?? [];
    list.push({
      code: s.code,
      name: s.name,
      kind: s.kind,
      region: s.region ?? regionOf.get(s.department_code) ?? 'metropole',
      balfs: balfsOf.get(s.code) ?? [],
    });
    servicesOf.set(s.department_code, list);
  }
  return departments.map((d) => ({ ...d, services: servicesOf.get(d.code) ?? [] }));
}

/** A file to fill in: the expected columns and two example rows (one with a region of its own). */
export function directoryTemplateCsv(): string {
  return [
    ...csvChunks(
      [...REQUIRED_COLUMNS, 'region'],
      [
        [
          '75',
          'DRFiP Île-de-France et Paris',
          '0750101',
          'SIP Paris 1er',
          'SIP',
          'sip.paris1@dgfip.finances.gouv.fr',
          '',
        ],
        [
          '974',
          'DRFiP La Réunion',
          '9740101',
          'SIE de Saint-Denis',
          'SIE',
          'sie.saint-denis@dgfip.finances.gouv.fr',
          'reunion',
        ],
      ],
    ),
  ].join('');
}

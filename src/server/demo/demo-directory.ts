/** The fictional but plausible directory of the demo: four departments, every kind of service. */
import type { Directory } from '../directory/parse-csv.ts';
import { regionForDepartment } from '../../core/calendar.ts';

interface DemoService {
  code: string;
  name: string;
  kind: 'SIP' | 'SIE' | 'SIP-SIE' | 'CDIF' | 'SPF';
  balfs: string[];
  /** Mean `usager` messages per working day of the busiest BALF. */
  volume: number;
}

interface DemoDepartment {
  code: string;
  name: string;
  services: DemoService[];
}

const D = '@dgfip.finances.gouv.fr';

export const DEMO_DEPARTMENTS: readonly DemoDepartment[] = [
  {
    code: '75',
    name: 'DRFiP Île-de-France et Paris',
    services: [
      { code: '0750101', name: 'SIP Paris 1er', kind: 'SIP', balfs: [`sip.paris-1er${D}`], volume: 22 },
      {
        code: '0750115',
        name: 'SIP Paris 15e',
        kind: 'SIP',
        balfs: [`sip.paris-15e${D}`, `sip.paris-15e.contentieux${D}`],
        volume: 26,
      },
      {
        code: '0750201',
        name: 'SIE Paris 8e Europe',
        kind: 'SIE',
        balfs: [`sie.paris-8e-europe${D}`],
        volume: 14,
      },
      { code: '0750301', name: 'CDIF Paris', kind: 'CDIF', balfs: [`cdif.paris${D}`], volume: 8 },
      { code: '0750401', name: 'SPF Paris 1', kind: 'SPF', balfs: [`spf.paris1${D}`], volume: 6 },
    ],
  },
  {
    code: '69',
    name: 'DRFiP Auvergne-Rhône-Alpes et Rhône',
    services: [
      { code: '0690101', name: 'SIP Lyon 3e', kind: 'SIP', balfs: [`sip.lyon-3e${D}`], volume: 18 },
      {
        code: '0690501',
        name: 'SIP-SIE Villefranche-sur-Saône',
        kind: 'SIP-SIE',
        balfs: [`sip-sie.villefranche${D}`],
        volume: 12,
      },
      { code: '0690201', name: 'SIE Lyon Sud-Est', kind: 'SIE', balfs: [`sie.lyon-sud-est${D}`], volume: 10 },
      { code: '0690401', name: 'SPF Lyon 2', kind: 'SPF', balfs: [`spf.lyon2${D}`], volume: 5 },
    ],
  },
  {
    code: '67',
    name: 'DRFiP Grand Est et Bas-Rhin',
    services: [
      {
        code: '0670101',
        name: 'SIP Strasbourg Ouest',
        kind: 'SIP',
        balfs: [`sip.strasbourg-ouest${D}`],
        volume: 16,
      },
      {
        code: '0670501',
        name: 'SIP-SIE Haguenau',
        kind: 'SIP-SIE',
        balfs: [`sip-sie.haguenau${D}`],
        volume: 9,
      },
      { code: '0670301', name: 'CDIF Strasbourg', kind: 'CDIF', balfs: [`cdif.strasbourg${D}`], volume: 6 },
      { code: '0670401', name: 'SPF Strasbourg', kind: 'SPF', balfs: [`spf.strasbourg${D}`], volume: 5 },
    ],
  },
  {
    code: '974',
    name: 'DRFiP La Réunion',
    services: [
      { code: '9740101', name: 'SIP Saint-Denis', kind: 'SIP', balfs: [`sip.saint-denis${D}`], volume: 15 },
      { code: '9740201', name: 'SIE Saint-Pierre', kind: 'SIE', balfs: [`sie.saint-pierre${D}`], volume: 8 },
      { code: '9740301', name: 'CDIF Saint-Denis', kind: 'CDIF', balfs: [`cdif.saint-denis${D}`], volume: 5 },
      { code: '9740401', name: 'SPF Saint-Denis', kind: 'SPF', balfs: [`spf.saint-denis${D}`], volume: 4 },
    ],
  },
];

/** A BALF whose add-on reports but which nobody put in the directory ("non rattachée"). */
export const DEMO_UNATTACHED_BALF = `sip.nouveau-service${D}`;

export function demoDirectory(): Directory {
  return {
    departments: DEMO_DEPARTMENTS.map((d) => ({
      code: d.code,
      name: d.name,
      region: regionForDepartment(d.code),
    })),
    services: DEMO_DEPARTMENTS.flatMap((d) =>
      d.services.map((s) => ({
        code: s.code,
        name: s.name,
        kind: s.kind,
        departmentCode: d.code,
        region: null,
      })),
    ),
    balfs: DEMO_DEPARTMENTS.flatMap((d) =>
      d.services.flatMap((s) => s.balfs.map((address) => ({ address, serviceCode: s.code }))),
    ),
  };
}

export interface DemoBalf {
  address: string;
  departmentCode: string;
  kind: string;
  volume: number;
}

/** Every BALF to simulate, with its volume (a second BALF of a service gets a third of it). */
export function demoBalfs(): DemoBalf[] {
  const list = DEMO_DEPARTMENTS.flatMap((d) =>
    d.services.flatMap((s) =>
      s.balfs.map((address, i) => ({
        address,
        departmentCode: d.code,
        kind: s.kind,
        volume: i === 0 ? s.volume : Math.ceil(s.volume / 3),
      })),
    ),
  );
  list.push({ address: DEMO_UNATTACHED_BALF, departmentCode: '75', kind: 'SIP', volume: 7 });
  return list;
}

/**
 * Opt-in presets of overseas local customs: days widely « chômés » by usage, not legal holidays, so
 * no region gets them unless an administrator applies the preset (they are then ordinary overlays).
 */
import { addDays } from './civil-days.ts';
import { easterSunday } from './calendar.ts';
import type { CalendarOverlay } from './overlays.ts';
import type { Region } from './regions.ts';

/** Regions that have a preset. */
export const presetRegions = ['guadeloupe', 'martinique', 'mayotte'] as const satisfies readonly Region[];
export type PresetRegion = (typeof presetRegions)[number];

export function isPresetRegion(x: unknown): x is PresetRegion {
  return typeof x === 'string' && (presetRegions as readonly string[]).includes(x);
}

const ANTILLES_SOURCE = 'Usage local (Antilles), préréglage Suivi BALF — pas un jour férié légal';

/**
 * Mayotte's feasts, kept as usages by the labour law applicable there, follow the Hijri (lunar)
 * calendar: Miradji (27 Rajab), Idi-el-Fitri (1 Shawwal), Idi-el-Kabir (10 Dhu al-Hijja), Maoulid
 * (12 Rabi' al-awwal). Days from the tabulated Hijri calendar of date-holidays-parser 3.4.7 (ISC,
 * src/internal/hijri-calendar.js), checked against it in test/core/overlays.test.ts. The day actually
 * observed depends on the sighting of the moon and may differ by one: the administrator declares the
 * day the prefecture announces instead.
 */
const MAYOTTE_FEASTS: Readonly<Record<number, readonly (readonly [string, string])[]>> = {
  2024: [
    ['2024-02-08', 'Miradji'],
    ['2024-04-10', 'Idi-el-Fitri'],
    ['2024-06-16', 'Idi-el-Kabir'],
    ['2024-09-15', 'Maoulid'],
  ],
  2025: [
    ['2025-01-27', 'Miradji'],
    ['2025-03-30', 'Idi-el-Fitri'],
    ['2025-06-06', 'Idi-el-Kabir'],
    ['2025-09-04', 'Maoulid'],
  ],
  2026: [
    ['2026-01-16', 'Miradji'],
    ['2026-03-20', 'Idi-el-Fitri'],
    ['2026-05-27', 'Idi-el-Kabir'],
    ['2026-08-25', 'Maoulid'],
  ],
  2027: [
    ['2027-01-05', 'Miradji'],
    ['2027-03-09', 'Idi-el-Fitri'],
    ['2027-05-16', 'Idi-el-Kabir'],
    ['2027-08-14', 'Maoulid'],
    ['2027-12-25', 'Miradji'],
  ],
  2028: [
    ['2028-02-26', 'Idi-el-Fitri'],
    ['2028-05-05', 'Idi-el-Kabir'],
    ['2028-08-03', 'Maoulid'],
    ['2028-12-14', 'Miradji'],
  ],
  2029: [
    ['2029-02-14', 'Idi-el-Fitri'],
    ['2029-04-24', 'Idi-el-Kabir'],
    ['2029-07-24', 'Maoulid'],
    ['2029-12-03', 'Miradji'],
  ],
  2030: [
    ['2030-02-04', 'Idi-el-Fitri'],
    ['2030-04-13', 'Idi-el-Kabir'],
    ['2030-07-13', 'Maoulid'],
    ['2030-11-23', 'Miradji'],
  ],
};

/** Years the Mayotte table covers. */
export const MAYOTTE_YEARS = Object.keys(MAYOTTE_FEASTS).map(Number);

const MAYOTTE_SOURCE =
  'Usage local (Mayotte), date prévisionnelle du calendrier hégirien tabulaire — à corriger selon ' +
  "l'annonce de la préfecture ; pas un jour férié légal";

/**
 * The preset's closed days of `region` for `year`, scoped `region:<region>`.
 * @throws RangeError for a region without a preset, or a Mayotte year outside the table.
 */
export function customsPreset(region: PresetRegion, year: number): CalendarOverlay[] {
  const scope = `region:${region}`;
  if (region === 'mayotte') {
    const feasts = MAYOTTE_FEASTS[year];
    if (!feasts) {
      throw new RangeError(
        `Pas de dates pour Mayotte en ${String(year)} (table de ${MAYOTTE_YEARS[0]} à ` +
          `${MAYOTTE_YEARS[MAYOTTE_YEARS.length - 1]}) : déclarez les jours un par un.`,
      );
    }
    return feasts.map(([day, label]) => ({ scope, day, state: 'closed', label, source: MAYOTTE_SOURCE }));
  }
  if (region !== 'guadeloupe' && region !== 'martinique') {
    throw new RangeError(`Pas de préréglage de coutumes pour la région ${JSON.stringify(region)}`);
  }
  const easter = easterSunday(year);
  const closed = (day: string, label: string): CalendarOverlay => ({
    scope,
    day,
    state: 'closed',
    label,
    source: ANTILLES_SOURCE,
  });
  return [
    closed(addDays(easter, -47), 'Mardi gras'),
    closed(addDays(easter, -46), 'Mercredi des Cendres'),
    closed(addDays(easter, -2), 'Vendredi saint'),
    closed(`${String(year)}-11-02`, 'Jour des défunts'),
  ].sort((a, b) => (a.day < b.day ? -1 : 1));
}

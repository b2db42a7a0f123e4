/** Calendar regions (metropole, Alsace-Moselle, overseas departments), their time zones and departments. */

/** A calendar region: each has its own public holidays and (overseas) its own time zone. */
export type Region =
  'metropole' | 'alsace-moselle' | 'guadeloupe' | 'martinique' | 'guyane' | 'reunion' | 'mayotte';

export const regions: readonly Region[] = Object.freeze([
  'metropole',
  'alsace-moselle',
  'guadeloupe',
  'martinique',
  'guyane',
  'reunion',
  'mayotte',
]);

export const TIME_ZONES: Readonly<Record<Region, string>> = {
  metropole: 'Europe/Paris',
  'alsace-moselle': 'Europe/Paris',
  guadeloupe: 'America/Guadeloupe',
  martinique: 'America/Martinique',
  guyane: 'America/Cayenne',
  reunion: 'Indian/Reunion',
  mayotte: 'Indian/Mayotte',
};

export function isRegion(x: unknown): x is Region {
  return typeof x === 'string' && (regions as readonly string[]).includes(x);
}

export function assertRegion(region: unknown): asserts region is Region {
  if (!isRegion(region)) {
    throw new RangeError(
      `Région inconnue : ${JSON.stringify(region)} (valeurs permises : ${regions.join(', ')})`,
    );
  }
}

const OTHER_OVERSEAS = new Set([975, 977, 978, 984, 986, 987, 988, 989]);

/**
 * Calendar region of a department code ('75', '057', ' 2a ', '971' …). Collectivities without a
 * region of their own (975 Saint-Pierre-et-Miquelon, 977 Saint-Barthélemy, 978 Saint-Martin,
 * 984, 986–989) map to metropole: same national holidays, but their own local days and time
 * zones are not modelled. '20' (Corsica before 1976) is accepted as metropole.
 * @throws RangeError for an empty or non-existent code.
 */
export function regionForDepartment(code: string): Region {
  const raw = typeof code === 'string' ? code.trim().toUpperCase() : '';
  if (raw === '2A' || raw === '2B') return 'metropole';
  if (/^\d{1,4}$/.test(raw)) {
    const n = Number(raw);
    if (n === 57 || n === 67 || n === 68) return 'alsace-moselle';
    if (n === 971) return 'guadeloupe';
    if (n === 972) return 'martinique';
    if (n === 973) return 'guyane';
    if (n === 974) return 'reunion';
    if (n === 976) return 'mayotte';
    if ((n >= 1 && n <= 95) || OTHER_OVERSEAS.has(n)) return 'metropole';
  }
  throw new RangeError(
    `Code de département invalide : ${JSON.stringify(code)} (attendu 01–95, 2A, 2B ou 971–976…)`,
  );
}

/** IANA time zone of a region. */
export function timeZoneForRegion(region: Region): string {
  assertRegion(region);
  return TIME_ZONES[region];
}

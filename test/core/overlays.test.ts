// Calendar overlays: properties of closed/open days and of their composition, presets against oracles.
import Holidays from 'date-holidays';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addWorkingDays,
  isWorkingDay,
  parseOverlayScope,
  resolveOverlays,
  scopesOfPlace,
  workingDaysAfter,
  type CalendarOverlay,
  type CalendarPlace,
  type Region,
} from '../../src/core/calendar.ts';
import { customsPreset, MAYOTTE_YEARS } from '../../src/core/overlay-presets.ts';

const dayArb = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const regionArb = fc.constantFrom<Region>('metropole', 'alsace-moselle', 'martinique', 'mayotte');
const placeArb: fc.Arbitrary<CalendarPlace> = fc.record({
  region: regionArb,
  department: fc.constantFrom('13', '57', '972', '976'),
  service: fc.constantFrom('S1', 'S2'),
});
/** Scopes of the place and of others (which must have no effect). */
const scopeArb = (place: CalendarPlace) =>
  fc.constantFrom(
    ...scopesOfPlace(place),
    'region:guyane',
    'department:99',
    `service:${place.service === 'S1' ? 'S2' : 'S1'}`,
  );
const overlayArb = (place: CalendarPlace, days: fc.Arbitrary<string>) =>
  fc.record({
    scope: scopeArb(place),
    day: days,
    state: fc.constantFrom<'closed' | 'open'>('closed', 'open'),
    label: fc.constant('x'),
    source: fc.constant('test'),
  });
const RANK = { nation: 0, region: 1, department: 2, service: 3 } as const;

/** Oracle of the composition: the most specific applicable declaration, closure first at a tie. */
function expectedState(overlays: CalendarOverlay[], place: CalendarPlace, day: string): boolean | undefined {
  const mine = new Set(scopesOfPlace(place));
  let best: { rank: number; open: boolean } | undefined;
  for (const o of overlays) {
    if (o.day !== day || !mine.has(o.scope)) continue;
    const rank = RANK[parseOverlayScope(o.scope).kind];
    const open = o.state === 'open';
    if (!best || rank > best.rank || (rank === best.rank && !open)) best = { rank, open };
  }
  return best?.open;
}

describe('overlays in working-day arithmetic', () => {
  it('a closed day never counts, whatever the law says', () => {
    fc.assert(
      fc.property(placeArb, dayArb, (place, day) => {
        const overrides = resolveOverlays([{ scope: 'nation', day, state: 'closed' }], place);
        const options = { overrides };
        expect(isWorkingDay(day, place.region, options), day).toBe(false);
        expect(workingDaysAfter(addDays(day, -1), day, place.region, options)).toBe(0);
        expect(workingDaysAfter(addDays(day, -3), addDays(day, 3), place.region, options)).toBe(
          workingDaysAfter(addDays(day, -3), addDays(day, 3), place.region) -
            (isWorkingDay(day, place.region) ? 1 : 0),
        );
      }),
    );
  });

  it('an open day counts, even a Sunday or a public holiday', () => {
    fc.assert(
      fc.property(placeArb, dayArb, (place, day) => {
        const overrides = resolveOverlays([{ scope: `service:${place.service}`, day, state: 'open' }], place);
        expect(isWorkingDay(day, place.region, { overrides })).toBe(true);
        expect(workingDaysAfter(addDays(day, -1), day, place.region, { overrides })).toBe(1);
      }),
    );
    // 25 December 2025 (a Thursday, Noël) declared open counts one day.
    const overrides = resolveOverlays([{ scope: 'nation', day: '2025-12-25', state: 'open' }], {
      region: 'metropole',
    });
    expect(workingDaysAfter('2025-12-24', '2025-12-26', 'metropole')).toBe(1);
    expect(workingDaysAfter('2025-12-24', '2025-12-26', 'metropole', { overrides })).toBe(2);
  });

  it('compose nation → region → department → service; other places have no effect', () => {
    fc.assert(
      fc.property(
        placeArb.chain((place) =>
          fc.tuple(
            fc.constant(place),
            fc.array(overlayArb(place, fc.constantFrom('2025-06-02', '2025-06-07', '2025-07-14')), {
              maxLength: 12,
            }),
          ),
        ),
        ([place, overlays]) => {
          const overrides = resolveOverlays(overlays, place);
          for (const day of ['2025-06-02', '2025-06-07', '2025-07-14']) {
            const want = expectedState(overlays, place, day) ?? isWorkingDay(day, place.region);
            expect(isWorkingDay(day, place.region, { overrides }), `${day} ${JSON.stringify(overlays)}`).toBe(
              want,
            );
          }
        },
      ),
    );
  });

  it('counts like a day-by-day oracle, and addWorkingDays inverts workingDaysAfter', () => {
    fc.assert(
      fc.property(
        placeArb.chain((place) =>
          fc.tuple(fc.constant(place), fc.array(overlayArb(place, dayArb), { maxLength: 40 })),
        ),
        dayArb,
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 30 }),
        ([place, overlays], from, span, n) => {
          const options = { overrides: resolveOverlays(overlays, place) };
          const to = addDays(from, span);
          let naive = 0;
          for (let d = addDays(from, 1); d <= to; d = addDays(d, 1))
            if (isWorkingDay(d, place.region, options)) naive++;
          expect(workingDaysAfter(from, to, place.region, options)).toBe(naive);
          const due = addWorkingDays(from, n, place.region, options);
          expect(workingDaysAfter(from, due, place.region, options)).toBe(n);
          if (n > 0) expect(isWorkingDay(due, place.region, options)).toBe(true);
        },
      ),
    );
  });

  it("leaves the law's days unchanged without an overlay of the place", () => {
    fc.assert(
      fc.property(placeArb, dayArb, fc.integer({ min: 0, max: 400 }), (place, from, span) => {
        const others: CalendarOverlay[] = [
          { scope: 'region:guyane', day: addDays(from, 1), state: 'closed', label: 'x', source: 'x' },
          { scope: 'department:99', day: addDays(from, 2), state: 'open', label: 'x', source: 'x' },
        ];
        expect(resolveOverlays([], place)).toBeUndefined();
        expect(resolveOverlays(others, place)).toBeUndefined();
        const to = addDays(from, span);
        expect(workingDaysAfter(from, to, place.region, { overrides: resolveOverlays(others, place) })).toBe(
          workingDaysAfter(from, to, place.region),
        );
      }),
    );
  });

  it('refuses malformed scopes and days with a French message', () => {
    for (const bad of ['', 'nation:', 'region:paris', 'department:', 'service: S1', 'balf:x'])
      expect(() => parseOverlayScope(bad), bad).toThrow(/Portée de calendrier invalide/);
    expect(() =>
      resolveOverlays([{ scope: 'nation', day: '2025-02-30', state: 'closed' }], { region: 'metropole' }),
    ).toThrow(RangeError);
  });
});

describe('overseas customs presets (opt-in)', () => {
  it('are off by default: the law alone keeps Mardi gras 2025 a working day in Martinique', () => {
    expect(isWorkingDay('2025-03-04', 'martinique')).toBe(true);
  });

  it('Antilles: Mardi gras, Ash Wednesday, Good Friday and 2 November, hand-checked for 2025 and 2026', () => {
    expect(customsPreset('martinique', 2025).map((o) => `${o.day} ${o.label}`)).toEqual([
      '2025-03-04 Mardi gras',
      '2025-03-05 Mercredi des Cendres',
      '2025-04-18 Vendredi saint',
      '2025-11-02 Jour des défunts',
    ]);
    expect(customsPreset('guadeloupe', 2026).map((o) => o.day)).toEqual([
      '2026-02-17',
      '2026-02-18',
      '2026-04-03',
      '2026-11-02',
    ]);
    for (const o of customsPreset('guadeloupe', 2026)) {
      expect(o.scope).toBe('region:guadeloupe');
      expect(o.state).toBe('closed');
      expect(o.source).toMatch(/pas un jour férié légal/);
    }
    const overrides = resolveOverlays(customsPreset('martinique', 2025), { region: 'martinique' });
    expect(isWorkingDay('2025-03-04', 'martinique', { overrides })).toBe(false);
    // Monday 3 → Thursday 6 March 2025: Tuesday and Wednesday closed by the preset.
    expect(workingDaysAfter('2025-03-03', '2025-03-06', 'martinique', { overrides })).toBe(1);
    expect(resolveOverlays(customsPreset('martinique', 2025), { region: 'guadeloupe' })).toBeUndefined();
  });

  it('Mayotte: the feasts table matches the tabulated Hijri calendar of date-holidays', () => {
    const oracle = new Holidays('FR');
    oracle.setHoliday('27 Rajab', 'Miradji');
    oracle.setHoliday('1 Shawwal', 'Idi-el-Fitri');
    oracle.setHoliday('10 Dhu al-Hijjah', 'Idi-el-Kabir');
    oracle.setHoliday('12 Rabi al-awwal', 'Maoulid');
    for (const year of MAYOTTE_YEARS) {
      const want = oracle
        .getHolidays(year)
        .filter((h) => /Miradji|Idi|Maoulid/.test(h.name))
        .map((h) => `${h.date.slice(0, 10)} ${h.name}`);
      expect(
        customsPreset('mayotte', year).map((o) => `${o.day} ${o.label}`),
        String(year),
      ).toEqual(want);
    }
    expect(() => customsPreset('mayotte', 2040)).toThrow(/déclarez les jours un par un/);
  });
});

/**
 * Reads a CSV of calendar declarations (scope, day, state, label, source) and stores it all or
 * nothing: every row is checked — syntax, and that its department or service is in the directory —
 * before anything is written, and every problem is reported with its line number.
 */
import { parse } from 'csv-parse/sync';
import { parseOverlayScope, type CalendarOverlay } from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';
import { overlayInput } from './schema.ts';

export const OVERLAY_COLUMNS = ['scope', 'day', 'state', 'label', 'source'] as const;

/** French spellings accepted for the state column besides closed/open. */
const STATES: Record<string, 'closed' | 'open'> = {
  closed: 'closed',
  open: 'open',
  fermé: 'closed',
  ferme: 'closed',
  ouvert: 'open',
};

export type OverlayCsvResult =
  { ok: true; overlays: CalendarOverlay[] } | { ok: false; errors: { line: number; message: string }[] };

export async function parseOverlayCsv(db: Db, input: string | Buffer): Promise<OverlayCsvResult> {
  const text = (typeof input === 'string' ? input : input.toString('utf8'))
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
  const header = text.slice(0, text.search(/\n|$/));
  const delimiter = (header.match(/;/g)?.length ?? 0) >= (header.match(/,/g)?.length ?? 0) ? ';' : ',';
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    return {
      ok: false,
      errors: [
        { line: (e as { lines?: number }).lines ?? 1, message: `CSV illisible : ${(e as Error).message}` },
      ],
    };
  }
  const head = rows[0];
  if (!head)
    return { ok: false, errors: [{ line: 1, message: 'Fichier vide : une ligne d’en-tête est attendue.' }] };
  const columns = head.record.map((c) => c.trim().toLowerCase());
  const missing = OVERLAY_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0)
    return {
      ok: false,
      errors: [
        {
          line: head.info.lines,
          message: `Colonnes manquantes : ${missing.join(', ')} (séparateur « ; » ou « , »).`,
        },
      ],
    };
  const [departments, services] = await Promise.all([
    db.selectFrom('departments').select('code').execute(),
    db.selectFrom('services').select('code').execute(),
  ]);
  const known = new Set([
    ...departments.map((d) => `department:${d.code}`),
    ...services.map((s) => `service:${s.code}`),
  ]);
  const errors: { line: number; message: string }[] = [];
  const overlays: CalendarOverlay[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of rows.slice(1)) {
    const cell = (name: string) => (record[columns.indexOf(name)] ?? '').trim();
    const state = STATES[cell('state').toLowerCase()];
    const parsed = overlayInput.safeParse({
      scope: cell('scope'),
      day: cell('day'),
      state: state ?? cell('state'),
      label: cell('label'),
      source: cell('source'),
    });
    if (!parsed.success) {
      errors.push({
        line: info.lines,
        message: parsed.error.issues.map((i) => `${i.path.join('.')} : ${i.message}`).join(' ; '),
      });
      continue;
    }
    const kind = parseOverlayScope(parsed.data.scope).kind;
    if ((kind === 'department' || kind === 'service') && !known.has(parsed.data.scope)) {
      errors.push({ line: info.lines, message: `${parsed.data.scope} : absent de l’annuaire` });
      continue;
    }
    const key = `${parsed.data.scope}|${parsed.data.day}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({
        line: info.lines,
        message: `${parsed.data.scope} le ${parsed.data.day} : déjà déclaré ligne ${first}`,
      });
      continue;
    }
    seen.set(key, info.lines);
    overlays.push(parsed.data);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, overlays };
}

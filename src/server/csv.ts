/** CSV for French spreadsheet software: `;` separators, UTF-8 BOM, CRLF, formula-safe cells. */

export type CsvCell = string | number | null | undefined;

const BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: numbers with a decimal comma, text quoted when needed, formulas neutralised. */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    // Numbers are written by us, never formulas: a leading '-' is a sign, not an injection.
    return Number.isFinite(value) ? String(value).replace('.', ',') : '';
  }
  // A text cell starting with = + - @ would be run as a formula by spreadsheet software.
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[";\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly CsvCell[]): string {
  return cells.map(csvCell).join(';') + '\r\n';
}

/** The whole file as a lazy sequence of chunks (BOM, header, rows), for streaming. */
export function* csvChunks(header: readonly string[], rows: Iterable<readonly CsvCell[]>): Generator<string> {
  yield* csvSections([{ header, rows }]);
}

export interface CsvSection {
  header: readonly string[];
  rows: Iterable<readonly CsvCell[]>;
}

/**
 * Several tables in one file, each with its own header line, separated by an empty line — what a
 * spreadsheet shows as blocks one under the other. The BOM comes once, at the start.
 */
export function* csvSections(sections: readonly CsvSection[]): Generator<string> {
  yield BOM;
  let buffer = '';
  for (const [i, section] of sections.entries()) {
    buffer += (i > 0 ? '\r\n' : '') + csvLine(section.header);
    for (const row of section.rows) {
      buffer += csvLine(row);
      if (buffer.length > 64 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
  }
  if (buffer) yield buffer;
}

/** A rate (0–1) as the dashboard shows it: a percentage with one decimal (0,7764 → 77,6). */
export function csvPercent(rate: number | null): number | null {
  return rate === null ? null : Math.round(rate * 1000) / 10;
}

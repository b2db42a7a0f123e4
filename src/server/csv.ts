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
  yield BOM + csvLine(header);
  let buffer = '';
  for (const row of rows) {
    buffer += csvLine(row);
    if (buffer.length > 64 * 1024) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}

// The CSV writer: BOM, `;`, CRLF, quoting, formula neutralisation, decimal comma.
import { describe, expect, it } from 'vitest';
import { csvCell, csvChunks } from '../../src/server/csv.ts';

describe('csv', () => {
  it.each([
    ['plain', 'plain'],
    ['a;b', '"a;b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+33 1 23', "'+33 1 23"],
    ['-1+1', "'-1+1"],
    ['@cmd', "'@cmd"],
    ['=a;b', `"'=a;b"`],
    [0.875, '0,875'],
    [-3, '-3'],
    [null, ''],
  ] as const)('%j → %s', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('starts with a BOM, ends lines with CRLF and streams large outputs in chunks', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [`ligne ${i}`, i]);
    const chunks = [...csvChunks(['Nom', 'Nombre'], rows)];
    expect(chunks.length).toBeGreaterThan(2);
    const text = chunks.join('');
    expect(text.startsWith('\uFEFFNom;Nombre\r\n')).toBe(true);
    expect(text.split('\r\n').length).toBe(20_002);
    expect(text.endsWith('ligne 19999;19999\r\n')).toBe(true);
  });
});

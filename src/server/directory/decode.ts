/** Decodes an uploaded directory file: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 as Excel saves it. */

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export type DecodeResult = { ok: true; text: string; encoding: CsvEncoding } | { ok: false; message: string };

/** French names of the encodings, as the preview states them. */
export const ENCODING_LABELS: Record<CsvEncoding, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16 (« Texte Unicode » d’Excel)',
  'utf-16be': 'UTF-16',
  'windows-1252': 'Windows-1252 (« CSV (séparateur : point-virgule) » d’Excel)',
};

/**
 * Windows-1252 at 0x80–0x9F (the rest is Latin-1): written out because Node's TextDecoder gives the C1
 * control characters of ISO-8859-1 there, which would turn « — » and « ’ » into invisible characters.
 * U+FFFD marks the five bytes Windows-1252 leaves undefined: a file holding one is in another encoding.
 */
const CP1252_HIGH =
  '\u20ac\ufffd\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\ufffd\u017d\ufffd' +
  '\ufffd\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\ufffd\u017e\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b);
  return out;
}

const SAVE_AS_UTF8 = 'Enregistrez-le depuis le tableur au format « CSV UTF-8 (délimité par des virgules) ».';

function startsWith(bytes: Uint8Array, ...prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * The text of the file and the encoding it was read with. UTF-8 is tried first and strictly (a
 * Windows-1252 file with accents is never valid UTF-8: « é » is one byte 0xE9 followed by a letter);
 * then Windows-1252, refused when the file holds bytes it does not define. Spreadsheets and archives
 * saved under a .csv name are refused with what to do.
 */
export function decodeCsvBytes(input: Uint8Array | string): DecodeResult {
  if (typeof input === 'string') return { ok: true, text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  const bytes = input;
  if (startsWith(bytes, 0x50, 0x4b, 0x03, 0x04))
    return {
      ok: false,
      message: `Ce fichier est un classeur Excel (.xlsx) ou une archive, pas un CSV. ${SAVE_AS_UTF8}`,
    };
  if (startsWith(bytes, 0xd0, 0xcf, 0x11, 0xe0))
    return { ok: false, message: `Ce fichier est un classeur Excel (.xls), pas un CSV. ${SAVE_AS_UTF8}` };
  if (startsWith(bytes, 0xef, 0xbb, 0xbf))
    return (
      utf8(bytes.subarray(3)) ?? {
        ok: false,
        message: `Fichier marqué UTF-8 mais illisible en UTF-8. ${SAVE_AS_UTF8}`,
      }
    );
  if (startsWith(bytes, 0xff, 0xfe))
    return { ok: true, text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (startsWith(bytes, 0xfe, 0xff))
    return { ok: true, text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  if (bytes.includes(0))
    return { ok: false, message: `Ce fichier n’est pas du texte (octet nul). ${SAVE_AS_UTF8}` };
  const asUtf8 = utf8(bytes);
  if (asUtf8 !== null) return asUtf8;
  const undefinedByte = bytes.find((b) => b >= 0x80 && b < 0xa0 && CP1252_HIGH[b - 0x80] === '\ufffd');
  if (undefinedByte !== undefined) {
    return {
      ok: false,
      message: `Encodage du fichier non reconnu (ni UTF-8, ni Windows-1252 : octet 0x${undefinedByte.toString(16).toUpperCase()}). ${SAVE_AS_UTF8}`,
    };
  }
  return { ok: true, text: decodeWindows1252(bytes), encoding: 'windows-1252' };
}

function utf8(bytes: Uint8Array): DecodeResult | null {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return null;
  }
}

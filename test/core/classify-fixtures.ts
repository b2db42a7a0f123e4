// Reads .eml fixtures the way the add-on hands headers to classify(): top-level block only, lower-case names.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ClassifyInput } from '../../src/core/classify.ts';

export const BALF = ['sip.paris-15@dgfip.finances.gouv.fr'];
export const INTERNAL = ['dgfip.finances.gouv.fr'];

/** RFC 5322 field name: printable ASCII but colon, no space (so an mbox "From " line is no field). */
const FIELD = /^([!-9;-~]+):(.*)$/s;

/**
 * The top-level header block of a message, as Thunderbird's raw headers: ends at the first empty line,
 * folded lines unfolded, names lower-cased, repeated fields kept in order. Values stay raw (RFC 2047
 * encoded words included). Any newline convention (LF, CRLF, CR) is read.
 */
export function parseHeaderBlock(text: string): Record<string, string[]> {
  const lines = text.split(/\r\n|\r|\n/);
  const end = lines.indexOf('');
  const block = (end < 0 ? lines : lines.slice(0, end)).join('\n').replace(/\n[ \t]+/g, ' ');
  const headers: Record<string, string[]> = {};
  for (const line of block.split('\n')) {
    const field = FIELD.exec(line);
    if (field === null) continue;
    (headers[field[1]!.toLowerCase()] ??= []).push(field[2]!.trim());
  }
  return headers;
}

export function readHeaders(file: URL | string): Record<string, string[]> {
  return parseHeaderBlock(readFileSync(file, 'utf8'));
}

/** What the add-on passes for a received message: author, To + Cc, the raw subject and the raw headers. */
export function inputOf(
  headers: Record<string, string[]>,
  extra: Partial<ClassifyInput> = {},
): ClassifyInput {
  const subject = headers['subject']?.[0];
  return {
    author: headers['from']?.[0] ?? '',
    recipients: [...(headers['to'] ?? []), ...(headers['cc'] ?? [])],
    folderSpecialUse: ['inbox'],
    ...(subject === undefined ? {} : { subject }),
    headers,
    balfAddresses: BALF,
    internalDomains: INTERNAL,
    ...extra,
  };
}

/** Every file under `dir`, as paths relative to it with '/' separators, sorted. */
export function listFiles(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return walk(dir)
    .map((p) => relative(dir, p).split(/[\\/]/).join('/'))
    .sort();
}

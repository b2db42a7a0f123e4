/** Pseudonymous message keys: HMAC-SHA256 (WebCrypto) of the Message-ID, identical in Thunderbird and Node. */

import { parseInstant } from './calendar.ts';

/** Characters kept from the base64url HMAC: 22 × 6 = 132 bits, ample against collisions. */
export const KEY_LENGTH = 22;

const encoder = new TextEncoder();
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Imported HMAC keys per secret: importKey is the slow part when keying thousands of messages. */
const cryptoKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new Error('Secret de déploiement manquant : les clés de message exigent un secret non vide');
  }
  let key = cryptoKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    if (cryptoKeys.size >= 16) cryptoKeys.clear();
    cryptoKeys.set(secret, key);
  }
  return key;
}

/** base64url without padding (no btoa: keep one code path for every host). */
function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const chars = i + 1 >= bytes.length ? 2 : i + 2 >= bytes.length ? 3 : 4;
    for (let c = 0; c < chars; c++) out += BASE64URL[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

async function hmacKeyString(secret: string, message: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(message));
  return base64url(new Uint8Array(mac)).slice(0, KEY_LENGTH);
}

/**
 * Canonical form of a Message-ID header value: trimmed, one pair of surrounding angle brackets
 * removed (and the whitespace inside them), case kept — RFC 5322 ids are case-sensitive, and
 * Thunderbird's `headerMessageId` has no brackets while raw headers do.
 * @throws Error when nothing is left.
 */
export function normalizeMessageId(id: string): string {
  if (typeof id !== 'string') throw new Error(`Message-ID invalide : ${String(id)}`);
  let s = id.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  if (s.length === 0) throw new Error(`Message-ID vide : ${JSON.stringify(id)}`);
  return s;
}

/**
 * Key of a message: HMAC-SHA256(secret, normalised Message-ID), base64url without padding,
 * first 22 characters. Equal for '<a@b>', 'a@b' and ' <a@b> '.
 */
export async function messageKey(secret: string, headerMessageId: string): Promise<string> {
  return hmacKeyString(secret, normalizeMessageId(headerMessageId));
}

export interface FallbackKeyInput {
  /** Date of the message (as Thunderbird stores it), or null when unknown. */
  date: Date | string | null;
  /** Author header as displayed ('Nom <adresse>'). */
  author: string;
  /** Size in bytes. */
  size: number;
}

/**
 * Canonical string hashed for a message without Message-ID:
 * `fallback\n<date as toISOString() (UTC, ms), or empty>\n<author trimmed, lower-case>\n<size>`.
 * The `fallback` prefix keeps these keys apart from any real Message-ID.
 * @throws Error for an invalid date (a string needs an explicit offset), a negative or fractional size.
 */
export function fallbackCanonical(msg: FallbackKeyInput): string {
  let date = '';
  if (msg.date !== null) {
    try {
      date = new Date(parseInstant(msg.date)).toISOString();
    } catch {
      throw new Error(
        `Date de message invalide : ${JSON.stringify(msg.date)} (Date ou ISO 8601 avec fuseau)`,
      );
    }
  }
  if (typeof msg.author !== 'string') throw new Error(`Auteur invalide : ${String(msg.author)}`);
  if (!Number.isSafeInteger(msg.size) || msg.size < 0) {
    throw new Error(`Taille de message invalide : ${String(msg.size)} (entier ≥ 0 attendu)`);
  }
  return `fallback\n${date}\n${msg.author.trim().toLowerCase()}\n${msg.size}`;
}

/** Key of a message that has no Message-ID: HMAC over {@link fallbackCanonical}, same format. */
export async function fallbackKey(secret: string, msg: FallbackKeyInput): Promise<string> {
  return hmacKeyString(secret, fallbackCanonical(msg));
}

/**
 * Message-IDs named by an In-Reply-To or References value, brackets removed, in order of appearance.
 * Tolerates what malformed mail carries: spaces inside the brackets (Thunderbird keeps them in
 * `headerMessageId`, so the key must be computed on the same text), ids without brackets
 * (whitespace- or comma-separated tokens holding an `@`), and chains of thousands of ids.
 */
export function referencedMessageIds(value: string | undefined): string[] {
  if (typeof value !== 'string' || value.trim() === '') return [];
  const bracketed = [...value.matchAll(/<([^<>]*)>/g)]
    .map((m) => (m[1] ?? '').replace(/\s+/g, ' ').trim())
    .filter((id) => id !== '');
  if (bracketed.length > 0) return bracketed;
  return value.split(/[\s,]+/).filter((token) => token.includes('@'));
}

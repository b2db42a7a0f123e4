// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header values. Thunderbird's getFull decodes them;
// messages.getHeaders (147+) is documented as "without MIME structure parsing", so a subject read through it
// is decoded here before it is classified, matched or shown. Already-decoded text passes through unchanged.

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
/** Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2). */
const BETWEEN_WORDS = /(\?=)\s+(=\?)/g;

function bytesOfQ(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

function bytesOfB(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/=+$/, ''));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The value with its encoded words decoded; a word with an unknown charset or bad base64 is kept as is. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(BETWEEN_WORDS, '$1$2')
    .replace(ENCODED_WORD, (word, charset: string, enc: string, text: string) => {
      // RFC 2231 language suffix: `utf-8*fr`.
      const name = charset.split('*')[0]!.toLowerCase();
      const bytes = enc.toUpperCase() === 'B' ? bytesOfB(text) : bytesOfQ(text);
      if (!bytes) return word;
      try {
        return new TextDecoder(name, { fatal: false }).decode(bytes);
      } catch {
        return word;
      }
    });
}

/** Characters of a binary string (one byte each) above ASCII: 8-bit header text not yet decoded. */
const EIGHT_BIT = /[\x80-\xff]/;
const WIDE = /[\u0100-\uffff]/;

/** A binary string's bytes as text: UTF-8 (RFC 6532) when valid, Windows-1252 otherwise (old clients). */
function text8Bit(value: string): string {
  if (!EIGHT_BIT.test(value) || WIDE.test(value)) return value;
  const bytes = Uint8Array.from(value, (ch) => ch.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/**
 * Headers as `messages.getHeaders(id, { decodeHeaders: false })` gives them (the raw lines: folded, 8-bit
 * bytes as binary strings, encoded words left) made text: unfolded as Thunderbird's decoding does (CR and LF
 * removed) and 8-bit values decoded like Thunderbird's own parser (UTF-8 first). Encoded words stay: the
 * add-on decodes the one it shows (the subject, `decodeEncodedWords`). Values already text pass unchanged.
 */
export function rawHeadersAsText(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    out[name] = values.map((value) => text8Bit(value.replace(/[\r\n]/g, '')));
  }
  return out;
}

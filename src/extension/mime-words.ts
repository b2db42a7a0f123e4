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

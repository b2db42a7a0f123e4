// Generates the add-on icons (PNG 16/32/64 and SVG) into extension/icons: a white envelope on the
// State blue. Run once from the repository root (node src/extension/tools/make-icons.mjs); outputs are committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [0, 0, 145, 255];
const WHITE = [255, 255, 255, 255];
const NONE = [0, 0, 0, 0];

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(pixel(x / size, y / size), y * (size * 4 + 1) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** x, y in [0, 1): rounded blue square, envelope outline and flap in white. */
function pixel(x, y) {
  const r = 0.18;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return NONE;
  const inEnvelope = x >= 0.18 && x <= 0.82 && y >= 0.28 && y <= 0.72;
  const border = inEnvelope && (x < 0.25 || x > 0.75 || y < 0.35 || y > 0.65);
  const flap = inEnvelope && Math.abs(y - 0.28 - 0.7 * Math.abs(x - 0.5) * -1 - 0.35) < 0.06 && y < 0.6;
  return border || flap ? WHITE : BLUE;
}

mkdirSync('extension/icons', { recursive: true });
for (const size of [16, 32, 64]) writeFileSync(`extension/icons/icon-${size}.png`, png(size, pixel));
writeFileSync(
  'extension/icons/icon.svg',
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="Suivi BALF">
  <rect width="64" height="64" rx="12" fill="#000091"/>
  <rect x="14" y="19" width="36" height="26" rx="2" fill="none" stroke="#fff" stroke-width="4"/>
  <path d="M14 21 L32 35 L50 21" fill="none" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>
</svg>
`,
);

/** Reads the packed add-on (.xpi = zip): its manifest (id, version, minimum Thunderbird) and its SHA-256. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { z } from 'zod';

export const DEFAULT_ADDON_ID = 'suivi-balf@dgfip.finances.gouv.fr';

/** What the server needs to know about the add-on it hosts. */
export interface XpiInfo {
  id: string;
  version: string;
  /** `strict_min_version` of the manifest, when it says one. */
  strictMinVersion: string | undefined;
  /** Hex SHA-256 of the whole file, as the update manifest's `update_hash` wants it. */
  sha256: string;
  size: number;
  bytes: Buffer;
}

const manifestSchema = z.object({
  version: z.string().min(1),
  browser_specific_settings: z
    .object({ gecko: z.object({ id: z.string().min(1), strict_min_version: z.string().optional() }) })
    .optional(),
  // MV2 manifests may still use the older key.
  applications: z
    .object({ gecko: z.object({ id: z.string().min(1), strict_min_version: z.string().optional() }) })
    .optional(),
});

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/**
 * Extracts one file from a zip archive held in memory (stored or deflated entries; no zip64, which
 * an add-on of a few hundred kilobytes never needs). Returns undefined when the entry is absent.
 */
export function readZipEntry(zip: Buffer, name: string): Buffer | undefined {
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  const floor = Math.max(0, zip.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = zip.length - 22; i >= floor; i--) {
    if (zip.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('Archive .xpi illisible : fin de répertoire zip introuvable');
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_SIGNATURE)
      throw new Error('Archive .xpi illisible : répertoire zip corrompu');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const entryName = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (entryName === name) {
      if (zip.readUInt32LE(localOffset) !== LOCAL_SIGNATURE)
        throw new Error('Archive .xpi illisible : entrée corrompue');
      // The local header has its own name/extra lengths, which may differ from the central ones.
      const dataStart =
        localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`Archive .xpi : méthode de compression ${method} non prise en charge pour ${name}`);
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return undefined;
}

/** Parses the add-on manifest out of the packed bytes. */
export function xpiInfo(bytes: Buffer): XpiInfo {
  const raw = readZipEntry(bytes, 'manifest.json');
  if (!raw) throw new Error("Archive .xpi sans manifest.json : ce n'est pas un module complémentaire");
  const manifest = manifestSchema.parse(JSON.parse(raw.toString('utf8')));
  const gecko = manifest.browser_specific_settings?.gecko ?? manifest.applications?.gecko;
  return {
    id: gecko?.id ?? DEFAULT_ADDON_ID,
    version: manifest.version,
    strictMinVersion: gecko?.strict_min_version,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    bytes,
  };
}

export async function readXpi(path: string): Promise<XpiInfo> {
  return xpiInfo(await readFile(path));
}

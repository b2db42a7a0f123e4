/**
 * Hosts the packed add-on and its update manifest, so that policies.json can force-install it from
 * this server and a new version reaches every workstation without touching them.
 * Update manifest format: MDN « Updating your extension » (addons → updates[] with version,
 * update_link, update_hash "sha256:…", applications.gecko.strict_min_version).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readXpi, type XpiInfo } from '../../deploy/xpi.ts';

export interface AddonRoutesOptions {
  /** Packed add-on; default env SUIVI_ADDON_XPI, else `dist/suivi-balf.xpi` under the working directory. */
  xpiPath?: string;
  /** Public base URL of the server (as workstations reach it); default env SUIVI_PUBLIC_URL, else the request's host. */
  publicUrl?: string;
}

export const XPI_ROUTE = '/addon/suivi-balf.xpi';
export const UPDATES_ROUTE = '/addon/updates.json';
/** Thunderbird 128 ESR is the first with the MV3 APIs the add-on uses. */
export const DEFAULT_STRICT_MIN_VERSION = '128.0';

export interface UpdateManifest {
  addons: Record<
    string,
    {
      updates: {
        version: string;
        update_link: string;
        update_hash: string;
        applications: { gecko: { strict_min_version: string } };
      }[];
    }
  >;
}

/** The update manifest for one packed add-on served at `baseUrl`. */
export function updateManifest(xpi: XpiInfo, baseUrl: string): UpdateManifest {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    addons: {
      [xpi.id]: {
        updates: [
          {
            version: xpi.version,
            // The version in the link keeps caches (proxies, Thunderbird) from serving an older file.
            update_link: `${base}${XPI_ROUTE}?v=${encodeURIComponent(xpi.version)}`,
            // With a hash Thunderbird also accepts an http link; over https it is checked all the same.
            update_hash: `sha256:${xpi.sha256}`,
            applications: {
              gecko: { strict_min_version: xpi.strictMinVersion ?? DEFAULT_STRICT_MIN_VERSION },
            },
          },
        ],
      },
    },
  };
}

function notBuilt(reply: FastifyReply, path: string): FastifyReply {
  return reply.code(404).send({
    error: 'addon_not_built',
    message: `Le module complémentaire n'est pas disponible sur ce serveur (${path} absent) : lancez « npm run build » puis redémarrez le serveur, ou indiquez son chemin dans SUIVI_ADDON_XPI.`,
  });
}

function baseUrlOf(request: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured;
  // Behind a reverse proxy, set SUIVI_PUBLIC_URL (or trustProxy) so this is the public address.
  return `${request.protocol}://${request.host}`;
}

export default async function addonRoutes(
  app: FastifyInstance,
  options: AddonRoutesOptions = {},
): Promise<void> {
  const xpiPath = resolve(options.xpiPath ?? process.env['SUIVI_ADDON_XPI'] ?? 'dist/suivi-balf.xpi');
  const publicUrl = options.publicUrl ?? process.env['SUIVI_PUBLIC_URL'];

  // Re-read only when the file changes: dropping a new xpi in place publishes it without a restart.
  let cache: { mtimeMs: number; size: number; info: XpiInfo } | undefined;
  async function current(): Promise<XpiInfo | undefined> {
    let stats;
    try {
      stats = await stat(xpiPath);
    } catch {
      cache = undefined;
      return undefined;
    }
    if (!cache || cache.mtimeMs !== stats.mtimeMs || cache.size !== stats.size) {
      cache = { mtimeMs: stats.mtimeMs, size: stats.size, info: await readXpi(xpiPath) };
    }
    return cache.info;
  }

  app.get(XPI_ROUTE, async (request, reply) => {
    const xpi = await current();
    if (!xpi) return notBuilt(reply, xpiPath);
    const etag = `"${xpi.sha256}"`;
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply
      .type('application/x-xpinstall')
      .header('Content-Disposition', 'attachment; filename="suivi-balf.xpi"')
      .send(xpi.bytes);
  });

  app.get(UPDATES_ROUTE, async (request, reply) => {
    const xpi = await current();
    if (!xpi) return notBuilt(reply, xpiPath);
    return reply
      .type('application/json; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(updateManifest(xpi, baseUrlOf(request, publicUrl)));
  });
}

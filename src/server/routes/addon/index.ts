/**
 * Hosts the packed add-on and its update manifest, so that policies.json can force-install it from
 * this server and a new version reaches every workstation without touching them.
 * Update manifest format: MDN « Updating your extension » (addons → updates[] with version,
 * update_link, update_hash "sha256:…", applications.gecko.strict_min_version).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readXpi, type XpiInfo } from '../../deploy/xpi.ts';

export interface AddonRoutesOptions {
  /** Packed add-on; default env SUIVI_ADDON_XPI, else `dist/suivi-balf.xpi` under the working directory. */
  xpiPath?: string;
  /** MV2 variant for Thunderbird older than 128; default env SUIVI_ADDON_XPI_MV2, else `-mv2.xpi` next to xpiPath. */
  mv2XpiPath?: string;
  /**
   * Public base URL of the server as workstations reach it (SUIVI_PUBLIC_URL or `serve --public-url`,
   * read by config.ts); null or absent: the update manifest is not served.
   */
  publicUrl?: string | null;
}

export const XPI_ROUTE = '/addon/suivi-balf.xpi';
export const MV2_XPI_ROUTE = '/addon/suivi-balf-mv2.xpi';
export const UPDATES_ROUTE = '/addon/updates.json';
/** Thunderbird 128 ESR is the first with the MV3 APIs the add-on uses. */
export const DEFAULT_STRICT_MIN_VERSION = '128.0';
/** The MV2 variant is offered only to clients the MV3 one does not serve. */
export const MV2_STRICT_MAX_VERSION = '127.*';

interface UpdateEntry {
  version: string;
  update_link: string;
  update_hash: string;
  applications: { gecko: { strict_min_version: string; strict_max_version?: string } };
}

export interface UpdateManifest {
  addons: Record<string, { updates: UpdateEntry[] }>;
}

function entry(xpi: XpiInfo, link: string, gecko: UpdateEntry['applications']['gecko']): UpdateEntry {
  return {
    version: xpi.version,
    // The version in the link keeps caches (proxies, Thunderbird) from serving an older file.
    update_link: `${link}?v=${encodeURIComponent(xpi.version)}`,
    // With a hash Thunderbird also accepts an http link; over https it is checked all the same.
    update_hash: `sha256:${xpi.sha256}`,
    applications: { gecko },
  };
}

/**
 * The update manifest for the packed add-on served at `baseUrl`, plus its MV2 variant for older
 * clients when one is hosted (same id; each entry's version range keeps a client on its variant).
 */
export function updateManifest(xpi: XpiInfo, baseUrl: string, mv2?: XpiInfo): UpdateManifest {
  const base = baseUrl.replace(/\/+$/, '');
  const updates = [
    entry(xpi, `${base}${XPI_ROUTE}`, {
      strict_min_version: xpi.strictMinVersion ?? DEFAULT_STRICT_MIN_VERSION,
    }),
  ];
  if (mv2 && mv2.id === xpi.id) {
    updates.push(
      entry(mv2, `${base}${MV2_XPI_ROUTE}`, {
        strict_min_version: mv2.strictMinVersion ?? '115.0',
        strict_max_version: MV2_STRICT_MAX_VERSION,
      }),
    );
  }
  return { addons: { [xpi.id]: { updates } } };
}

function notBuilt(reply: FastifyReply, path: string): FastifyReply {
  return reply.code(404).send({
    error: 'addon_not_built',
    message: `Le module complémentaire n'est pas disponible sur ce serveur (${path} absent) : lancez « npm run build » puis redémarrez le serveur, ou indiquez son chemin dans SUIVI_ADDON_XPI.`,
  });
}

/**
 * The manifest's links come from the configuration only: built from the request's Host header, they
 * would send workstations wherever a forged header (or a cache keyed without it) says.
 */
function noPublicUrl(reply: FastifyReply): FastifyReply {
  return reply.code(503).send({
    error: 'public_url_missing',
    message:
      'Le manifeste de mise à jour n’est pas servi : l’adresse publique du serveur n’est pas configurée. ' +
      'Lancez le serveur avec SUIVI_PUBLIC_URL=https://… (ou suivi-balf serve --public-url https://…).',
  });
}

/** Reads a packed add-on again only when the file changes: a new xpi dropped in place is published without a restart. */
function hostedXpi(path: string): () => Promise<XpiInfo | undefined> {
  let cache: { mtimeMs: number; size: number; info: XpiInfo } | undefined;
  return async () => {
    let stats;
    try {
      stats = await stat(path);
    } catch {
      cache = undefined;
      return undefined;
    }
    if (!cache || cache.mtimeMs !== stats.mtimeMs || cache.size !== stats.size) {
      cache = { mtimeMs: stats.mtimeMs, size: stats.size, info: await readXpi(path) };
    }
    return cache.info;
  };
}

export default async function addonRoutes(
  app: FastifyInstance,
  options: AddonRoutesOptions = {},
): Promise<void> {
  const xpiPath = resolve(options.xpiPath ?? process.env['SUIVI_ADDON_XPI'] ?? 'dist/suivi-balf.xpi');
  const mv2Path = resolve(
    options.mv2XpiPath ?? process.env['SUIVI_ADDON_XPI_MV2'] ?? xpiPath.replace(/(\.xpi)?$/, '-mv2.xpi'),
  );
  const publicUrl = options.publicUrl ?? null;
  const current = hostedXpi(xpiPath);
  const currentMv2 = hostedXpi(mv2Path);

  for (const [route, path, read, filename] of [
    [XPI_ROUTE, xpiPath, current, 'suivi-balf.xpi'],
    [MV2_XPI_ROUTE, mv2Path, currentMv2, 'suivi-balf-mv2.xpi'],
  ] as const) {
    app.get(route, { config: { access: 'public' } }, async (request, reply) => {
      const xpi = await read();
      if (!xpi) return notBuilt(reply, path);
      const etag = `"${xpi.sha256}"`;
      reply.header('ETag', etag).header('Cache-Control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply
        .type('application/x-xpinstall')
        .header('Content-Disposition', `attachment; filename="${filename}"`)
        .send(xpi.bytes);
    });
  }

  app.get(UPDATES_ROUTE, { config: { access: 'public' } }, async (_request, reply) => {
    if (publicUrl === null) return noPublicUrl(reply);
    const xpi = await current();
    if (!xpi) return notBuilt(reply, xpiPath);
    return reply
      .type('application/json; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(updateManifest(xpi, publicUrl, await currentMv2()));
  });
}

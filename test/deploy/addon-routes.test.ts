// /addon routes: the hosted xpi and the update manifest computed from it, on a Fastify app of their own.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import addonRoutes from '../../src/server/routes/addon/index.ts';
import { readZipEntry, xpiInfo } from '../../src/server/deploy/xpi.ts';
import { addonManifest, makeZip } from './zip.ts';

const ID = 'suivi-balf@dgfip.finances.gouv.fr';
let dir: string;
let xpiPath: string;
let app: FastifyInstance | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'suivi-addon-'));
  xpiPath = join(dir, 'suivi-balf.xpi');
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const PUBLIC = 'https://suivi-balf.exemple.gouv.fr';

async function start(options: { publicUrl?: string } = {}): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(addonRoutes, { xpiPath, ...options });
  await app.ready();
  return app;
}

function writeXpi(version: string, minVersion?: string): Buffer {
  const bytes = makeZip([
    { name: 'background.js', data: 'console.log(1)'.repeat(50) },
    { name: 'manifest.json', data: addonManifest(version, ID, minVersion) },
  ]);
  writeFileSync(xpiPath, bytes);
  return bytes;
}

describe('reading the xpi', () => {
  it('reads stored and deflated entries, with local extra fields', () => {
    const zip = makeZip([
      { name: 'a.txt', data: 'stored', deflate: false },
      {
        name: 'manifest.json',
        data: addonManifest('1.2.3'),
        localExtra: Buffer.from([0xfe, 0xca, 2, 0, 1, 2]),
      },
    ]);
    expect(readZipEntry(zip, 'a.txt')?.toString()).toBe('stored');
    expect(xpiInfo(zip)).toMatchObject({ id: ID, version: '1.2.3', strictMinVersion: undefined });
    expect(readZipEntry(zip, 'absent')).toBeUndefined();
  });

  it('reads an archive written by the zip tool (as web-ext/the build produce)', () => {
    writeFileSync(join(dir, 'manifest.json'), addonManifest('4.5.6', ID, '128.0'));
    writeFileSync(join(dir, 'popup.html'), '<!doctype html><title>x</title>'.repeat(100));
    execFileSync('zip', ['-q', '-X', join(dir, 'tool.xpi'), 'manifest.json', 'popup.html'], { cwd: dir });
    expect(xpiInfo(readFileSync(join(dir, 'tool.xpi')))).toMatchObject({
      version: '4.5.6',
      strictMinVersion: '128.0',
    });
  });

  it('refuses something that is not a zip, or a zip without manifest', () => {
    expect(() => xpiInfo(Buffer.from('not a zip at all, definitely not'))).toThrow(/illisible/);
    expect(() => xpiInfo(makeZip([{ name: 'x', data: 'y' }]))).toThrow(/sans manifest.json/);
  });
});

describe('GET /addon/suivi-balf.xpi', () => {
  it('serves the exact bytes as application/x-xpinstall, with an ETag', async () => {
    const bytes = writeXpi('1.0.0');
    const res = await (await start()).inject({ method: 'GET', url: '/addon/suivi-balf.xpi' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-xpinstall');
    expect(res.rawPayload.equals(bytes)).toBe(true);
    const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
    expect(res.headers['etag']).toBe(etag);
    const again = await app!.inject({
      method: 'GET',
      url: '/addon/suivi-balf.xpi',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
  });

  it('answers 404 with a French explanation when the add-on is not built', async () => {
    const res = await (await start()).inject({ method: 'GET', url: '/addon/suivi-balf.xpi' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: 'addon_not_built',
      message: expect.stringMatching(/npm run build/),
    });
    await app!.close();
    const updates = await (
      await start({ publicUrl: PUBLIC })
    ).inject({ method: 'GET', url: '/addon/updates.json' });
    expect(updates.statusCode).toBe(404);
  });
});

describe('GET /addon/updates.json', () => {
  it('refuses to serve the manifest without a configured public URL, whatever the Host header', async () => {
    writeXpi('1.0.0');
    const res = await (
      await start()
    ).inject({ method: 'GET', url: '/addon/updates.json', headers: { host: 'suivi.test:8080' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      error: 'public_url_missing',
      message: expect.stringMatching(/SUIVI_PUBLIC_URL=https:\/\/… \(ou suivi-balf serve --public-url/),
    });
  });

  it('describes the hosted version with its hash, links from the configured URL (never the Host header)', async () => {
    const bytes = writeXpi('1.0.0');
    const res = await (
      await start({ publicUrl: PUBLIC })
    ).inject({
      method: 'GET',
      url: '/addon/updates.json',
      headers: { host: 'attaquant.example', 'x-forwarded-host': 'attaquant.example' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      addons: {
        [ID]: {
          updates: [
            {
              version: '1.0.0',
              update_link: `${PUBLIC}/addon/suivi-balf.xpi?v=1.0.0`,
              update_hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
              applications: { gecko: { strict_min_version: '128.0' } },
            },
          ],
        },
      },
    });
  });

  it('uses the configured public URL and the manifest minimum version', async () => {
    writeXpi('2.0.1', '140.0');
    const res = await (
      await start({ publicUrl: 'https://suivi-balf.exemple.gouv.fr/' })
    ).inject({
      method: 'GET',
      url: '/addon/updates.json',
    });
    const update = res.json().addons[ID].updates[0];
    expect(update.update_link).toBe('https://suivi-balf.exemple.gouv.fr/addon/suivi-balf.xpi?v=2.0.1');
    expect(update.applications.gecko.strict_min_version).toBe('140.0');
  });

  it('publishes a new xpi dropped in place without a restart', async () => {
    writeXpi('1.0.0');
    await start({ publicUrl: PUBLIC });
    const first = (await app!.inject({ method: 'GET', url: '/addon/updates.json' })).json();
    expect(first.addons[ID].updates[0].version).toBe('1.0.0');
    const bytes = writeXpi('1.1.0');
    // Same size is possible; a later mtime is what a copy gives.
    const later = new Date(Date.now() + 5000);
    utimesSync(xpiPath, later, later);
    const second = (await app!.inject({ method: 'GET', url: '/addon/updates.json' })).json();
    expect(second.addons[ID].updates[0]).toMatchObject({
      version: '1.1.0',
      update_hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    });
    const file = await app!.inject({ method: 'GET', url: '/addon/suivi-balf.xpi' });
    expect(file.rawPayload.equals(bytes)).toBe(true);
  });

  it('offers the MV2 variant to clients older than 128, and only to them', async () => {
    const mv3 = writeXpi('1.3.0');
    const mv2 = makeZip([{ name: 'manifest.json', data: addonManifest('1.3.0', ID, '115.0') }]);
    writeFileSync(join(dir, 'suivi-balf-mv2.xpi'), mv2);
    const res = await (
      await start({ publicUrl: 'https://s.example.fr' })
    ).inject({ method: 'GET', url: '/addon/updates.json' });
    const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    expect(res.json().addons[ID].updates).toEqual([
      {
        version: '1.3.0',
        update_link: 'https://s.example.fr/addon/suivi-balf.xpi?v=1.3.0',
        update_hash: sha(mv3),
        applications: { gecko: { strict_min_version: '128.0' } },
      },
      {
        version: '1.3.0',
        update_link: 'https://s.example.fr/addon/suivi-balf-mv2.xpi?v=1.3.0',
        update_hash: sha(mv2),
        applications: { gecko: { strict_min_version: '115.0', strict_max_version: '127.*' } },
      },
    ]);
    const file = await app!.inject({ method: 'GET', url: '/addon/suivi-balf-mv2.xpi' });
    expect(file.headers['content-type']).toBe('application/x-xpinstall');
    expect(file.rawPayload.equals(mv2)).toBe(true);
  });

  it('ignores an MV2 file built for another add-on id', async () => {
    writeXpi('1.3.0');
    writeFileSync(
      join(dir, 'suivi-balf-mv2.xpi'),
      makeZip([{ name: 'manifest.json', data: addonManifest('9.9.9', 'other@x.fr') }]),
    );
    const res = await (
      await start({ publicUrl: PUBLIC })
    ).inject({ method: 'GET', url: '/addon/updates.json' });
    expect(res.json().addons[ID].updates.map((u: { version: string }) => u.version)).toEqual(['1.3.0']);
  });
});

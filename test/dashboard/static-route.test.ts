// The dashboard route: serves the built files at /, and says in French how to build them when absent.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dashboardRoutes, { projectRoot } from '../../src/server/routes/dashboard/index.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'suivi-balf-dash-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Suivi BALF</title>');
  await writeFile(join(dir, 'app.js'), 'console.log(1);');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dashboard route', () => {
  it('serves index.html at / (revalidated) and the assets', async () => {
    const app = Fastify();
    app.get('/api/v1/ping', async () => ({ ok: true }));
    await app.register(dashboardRoutes, { root: dir });
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('Suivi BALF');
    const js = await app.inject('/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/api/v1/ping')).json()).toEqual({ ok: true });
    expect((await app.inject('/absent.js')).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 with the build command when the dashboard was not built', async () => {
    const app = Fastify();
    await app.register(dashboardRoutes, { root: join(dir, 'absent') });
    const index = await app.inject('/');
    expect(index.statusCode).toBe(503);
    expect(index.body).toContain('npm run build:dashboard');
    expect(index.body).toContain('Le tableau de bord n’est pas construit');
    expect((await app.inject('/app.js')).statusCode).toBe(404);
    await app.close();
  });

  it('finds the project root from its own location', () => {
    expect(projectRoot()).toBe(process.cwd());
  });
});

// `/metrics` answers only a national read token (what Prometheus sends from its scrape config); `/healthz` stays public.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, token, type Harness } from './support.ts';

describe('/metrics access', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness('sqlite');
  });
  afterEach(async () => h.close());

  const scrape = (authorization?: string) =>
    h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization === undefined ? {} : { authorization },
    });

  it('refuses a scrape without a token: 401 in French with a Bearer challenge', async () => {
    const res = await scrape();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="suivi-balf"');
    expect(res.json()).toMatchObject({
      error: 'unauthorized',
      message: expect.stringContaining('Authentification'),
    });
    expect(res.body).not.toContain('suivi_ingest');
    expect((await scrape('Bearer sbt_inconnu')).statusCode).toBe(401);
  });

  it('refuses ingest tokens (on every workstation) and department read tokens', async () => {
    const ingest = await token(h.db, { level: 'national' });
    const department = await token(h.db, { level: 'department', code: '75' }, false);
    for (const t of [ingest, department]) {
      const res = await scrape(`Bearer ${t}`);
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('suivi_ingest');
    }
  });

  it('serves the Prometheus text to a national read token, and /healthz to anyone', async () => {
    const read = await token(h.db, { level: 'national' }, false);
    const res = await scrape(`Bearer ${read}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE suivi_ingest_batches_total counter');
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

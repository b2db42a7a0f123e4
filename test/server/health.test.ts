// Health, metrics, security headers and the error policy (5xx hide internals; an unavailable database is 503).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import { batch, harness, newKey, post, token, type Harness } from './support.ts';

describe('health, metrics and errors', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness('sqlite');
  });
  afterEach(async () => h.close().catch(() => undefined));

  it('answers /healthz and counts ingest in /metrics', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const write = await token(h.db, { level: 'national' });
    await post(
      h.app,
      write,
      batch('a@x.fr', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    await post(
      h.app,
      null,
      batch('a@x.fr', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    await post(h.app, write, { schema: 2 });
    const res = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${await token(h.db, { level: 'national' }, false)}` },
    });
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(res.body).toContain('suivi_ingest_batches_total{result="stored"} 1');
    expect(res.body).toContain('suivi_ingest_records_total{result="accepted"} 1');
    expect(res.body).toContain('suivi_ingest_rejects_total{reason="unauthorized"} 1');
    expect(res.body).toContain('suivi_ingest_rejects_total{reason="invalid"} 1');
    expect(res.body).toMatch(
      /suivi_http_request_duration_seconds_count\{route="\/api\/v1\/tallies",method="POST",status="2xx"\} 1/,
    );
  });

  it('sends a strict CSP without inline script', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 404 in French for unknown API paths', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('introuvable');
  });

  it('answers 503 (retryable) when the database is gone, without internals', async () => {
    const write = await token(h.db, { level: 'national' });
    await h.db.destroy();
    const res = await post(
      h.app,
      write,
      batch('a@x.fr', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toEqual({ error: 'unavailable', message: expect.stringContaining('réessayez') });
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
  });

  it('answers 503 when PostgreSQL refuses connections', async () => {
    // Nothing listens on port 9 of the loopback: every query fails with ECONNREFUSED.
    const { db, close } = await openDatabase(
      { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:9/none' },
      { migrate: false },
    );
    const app = await buildApp({ db, rateLimit: false, config: loadConfig({}) });
    try {
      const res = await post(
        app,
        'sbt_whatever',
        batch('a@x.fr', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
      );
      expect(res.statusCode).toBe(503);
      expect(res.body).not.toContain('ECONNREFUSED');
    } finally {
      await app.close();
      await close();
    }
  });
});

// The OpenAPI document served at /api/v1/openapi.json: valid OpenAPI 3.1, built from the registered routes
// (every API route in it, nothing else), with the zod schemas the server checks requests against.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support.ts';

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          security: unknown[];
          parameters?: { name: string; required: boolean }[];
          requestBody?: {
            content: Record<string, { schema: { properties?: Record<string, { format?: string }> } }>;
          };
        }
      >
    >;
  };
  beforeAll(async () => {
    h = await harness('sqlite');
    const r = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    doc = r.json();
  });
  afterAll(async () => h.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('lists exactly the API routes the server registered', () => {
    const registered = h.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .flatMap((line) => {
        // Printed without their leading slash when '/' itself is a route (dashboard not built here).
        const m = /── \/?(api\/\S+) \(([^)]+)\)/.exec(line);
        return m
          ? m[2]!
              .split(', ')
              .filter((x) => x !== 'HEAD')
              .map((method) => `${method} /${m[1]}`)
          : [];
      })
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(registered.length).toBeGreaterThanOrEqual(14);
    expect(documented).toEqual(registered);
  });

  it('describes requests with the schemas the server checks', () => {
    const tallies = doc.paths['/api/v1/tallies']!['post']!;
    const body = tallies.requestBody!.content['application/json']!.schema;
    expect(body.properties!['batchId']!.format).toBe('uuid');
    expect(tallies.security).toEqual([{ jeton: [] }]);
    const stats = doc.paths['/api/v1/stats']!['get']!;
    expect(
      stats
        .parameters!.filter((p) => p.required)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['from', 'level', 'to']);
    expect(doc.paths['/api/v1/openapi.json']!['get']!.security).toEqual([]);
  });
});

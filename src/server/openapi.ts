/**
 * OpenAPI 3.1 document of the API (`GET /api/v1/openapi.json`), built from the routes themselves as
 * they are registered: each `/api/` route carries its zod schemas in `config.openapi`, so the
 * document cannot drift from what the server checks, and a route without them refuses to start.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Access } from './auth/plugin.ts';

/** A body or answer that is not JSON (CSV files). */
export interface RawContent {
  contentType: string;
  description: string;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: string;
  query?: z.ZodType;
  body?: z.ZodType | RawContent;
  /** The success answer (JSON schema, or a file); none for 204. */
  response?: z.ZodType | RawContent;
  /** Status of the success answer (200 by default). */
  status?: number;
  /** Other answers the route gives beyond those of its access (401, 403) and of any request (400, 429, 503). */
  errors?: Record<number, string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    openapi?: RouteDoc;
  }
}

interface Registered {
  method: string;
  url: string;
  access: Access;
  doc: RouteDoc;
}

const errorSchema = z.object({
  error: z.string().describe('code stable, en anglais'),
  message: z.string().describe('explication en français'),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out['$schema'];
  return out;
}

function content(body: z.ZodType | RawContent): Record<string, unknown> {
  if (body instanceof z.ZodType) return { 'application/json': { schema: jsonSchema(body) } };
  return { [body.contentType]: { schema: { type: 'string', description: body.description } } };
}

/** Query string fields of a zod object as OpenAPI parameters. */
function parameters(query: z.ZodType): unknown[] {
  const schema = jsonSchema(query) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (schema.required ?? []).includes(name),
    schema: property,
  }));
}

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  public: [],
  ingest: [{ jeton: [] }],
  read: [{ jeton: [] }, { session: [] }],
  national: [{ jeton: [] }, { session: [] }],
  user: [{ session: [] }],
  'national-user': [{ session: [] }],
};

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1\//, '')
    .split(/[/.\-_]/)
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

export function openApiDocument(
  routes: readonly Registered[],
  publicUrl: string | null,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of [...routes].sort(
    (a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method),
  )) {
    const { doc } = r;
    const responses: Record<string, unknown> = {
      [String(doc.status ?? 200)]: {
        description: 'Succès',
        ...(doc.response ? { content: content(doc.response) } : {}),
      },
    };
    const errors: Record<number, string> = {
      400: 'Requête invalide (details liste les champs en erreur)',
      ...(r.access === 'public'
        ? {}
        : { 401: 'Authentification absente ou refusée', 403: 'Droits insuffisants' }),
      429: 'Trop de requêtes : réessayer après Retry-After',
      503: 'Base de données indisponible : réessayer après Retry-After',
      ...doc.errors,
    };
    for (const [status, description] of Object.entries(errors))
      responses[status] = {
        description,
        content: { 'application/json': { schema: jsonSchema(errorSchema) } },
      };
    (paths[r.url] ??= {})[r.method.toLowerCase()] = {
      operationId: operationId(r.method, r.url),
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      tags: [doc.tag],
      security: SECURITY[r.access],
      ...(doc.query ? { parameters: parameters(doc.query) } : {}),
      ...(doc.body ? { requestBody: { required: true, content: content(doc.body) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Suivi BALF — API du serveur de collecte',
      version: 'v1',
      description:
        'Dépôt des comptages par le module (jeton d’envoi), statistiques et exports (jeton de lecture ou session ' +
        'du tableau de bord), annuaire. Les écritures authentifiées par la session exigent l’en-tête x-csrf-token.',
    },
    ...(publicUrl ? { servers: [{ url: publicUrl }] } : {}),
    components: {
      securitySchemes: {
        jeton: { type: 'http', scheme: 'bearer', description: 'Jeton créé par « suivi-balf token create »' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'suivi_session',
          description: 'Session du tableau de bord',
        },
      },
    },
    paths,
  };
}

/** Collects the API routes as they are registered and serves their document. */
const plugin: FastifyPluginAsync<{ publicUrl: string | null }> = async (app: FastifyInstance, options) => {
  const routes: Registered[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const doc = route.config?.openapi;
    if (!doc)
      throw new Error(
        `Route ${String(route.method)} ${route.url} : config.openapi manquant (voir openapi.ts).`,
      );
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, access: route.config?.access ?? 'public', doc });
    }
  });
  let document: Record<string, unknown> | undefined;
  app.get(
    '/api/v1/openapi.json',
    {
      config: {
        access: 'public',
        openapi: {
          summary: 'Ce document',
          tag: 'documentation',
          response: z.record(z.string(), z.unknown()),
        },
      },
    },
    async () => (document ??= openApiDocument(routes, options.publicUrl)),
  );
};
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'suivi-openapi';
export const registerOpenApi = plugin;

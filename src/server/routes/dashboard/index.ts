// Serves the built web dashboard (build/dashboard/, made by `npm run build:dashboard`) at `/`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';

export interface DashboardOptions {
  /** Directory holding index.html and app.js; default `<project>/build/dashboard`. */
  root?: string;
}

/** Walks up from this module to the directory holding package.json (works from src/ and from a bundle in build/). */
export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Suivi BALF — tableau de bord absent</title></head>
<body><main><h1>Le tableau de bord n’est pas construit</h1>
<p>Le serveur de collecte fonctionne, mais les fichiers du tableau de bord sont absents.
Lancez <code>npm run build:dashboard</code> (ou <code>npm start</code>, qui le fait) puis rechargez cette page.</p>
</main></body></html>`;

const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app: FastifyInstance, options) => {
  const root = resolve(options.root ?? join(projectRoot(), 'build', 'dashboard'));
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'tableau de bord non construit : lancez npm run build:dashboard');
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    app.get('/', notBuilt);
    app.get('/index.html', notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: 'index.html',
    // Source maps hold the dashboard's whole source with its comments: for developers, not the public.
    allowedPath: (pathName) => !pathName.endsWith('.map'),
    // The HTML shell must be revalidated so a new build is picked up; assets may be cached briefly.
    cacheControl: true,
    maxAge: '5m',
    setHeaders(reply, path) {
      if (path.endsWith('.html')) reply.header('cache-control', 'no-cache');
    },
  });
};

export default dashboardRoutes;
export { dashboardRoutes };

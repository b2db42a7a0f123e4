// `npm run screenshots` cannot rot: its capture functions run against the real dashboard (Chromium) and the real
// add-on in a headless Thunderbird, and every PNG must be a real picture; every image a guide shows is one of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureDashboard, DASHBOARD_SHOTS } from '../support/screenshots/dashboard-shots.ts';
import { startDemoServer, type DemoServer } from '../support/screenshots/demo-server.ts';
import { inspectPng } from '../support/screenshots/png-check.ts';
import { captureThunderbird, THUNDERBIRD_SHOTS } from '../support/screenshots/thunderbird-shots.ts';
import { REPO_ROOT } from '../support/thunderbird/xpi.ts';

const SCRIPT_SHOTS = [...Object.values(DASHBOARD_SHOTS), ...Object.values(THUNDERBIRD_SHOTS)];

function expectRealPicture(path: string, minWidth: number, minHeight: number, maxDominant = 0.97): void {
  const facts = inspectPng(readFileSync(path));
  expect(facts.width, `${basename(path)} largeur`).toBeGreaterThanOrEqual(minWidth);
  expect(facts.height, `${basename(path)} hauteur`).toBeGreaterThanOrEqual(minHeight);
  expect(facts.width, `${basename(path)} largeur`).toBeLessThanOrEqual(4000);
  expect(facts.height, `${basename(path)} hauteur`).toBeLessThanOrEqual(6000);
  // A blank or single-colour frame (page not painted, white window) has a handful of colours.
  expect(facts.colours, `${basename(path)} couleurs distinctes`).toBeGreaterThanOrEqual(40);
  expect(facts.dominantShare, `${basename(path)} part de la couleur dominante`).toBeLessThan(maxDominant);
}

describe('captures d’écran des guides (npm run screenshots)', () => {
  let out: string;
  let server: DemoServer;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'suivi-balf-captures-test-'));
    server = await startDemoServer({ days: 40 });
  });

  afterAll(async () => {
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('tableau de bord réel dans Chromium : connexion, national, département, classement, délais, à traiter, stockage, service, sondages, export, téléphone, annuaire', async () => {
    const written = await captureDashboard(server, out);
    expect(written.map((p) => basename(p)).sort()).toEqual(Object.values(DASHBOARD_SHOTS).sort());
    // Excerpts of a page (one block) are shorter than a screen; the CSV one is a few lines of text on white.
    const excerpts: string[] = [
      DASHBOARD_SHOTS.delays,
      DASHBOARD_SHOTS.spotChecks,
      DASHBOARD_SHOTS.preview,
      DASHBOARD_SHOTS.backlog,
      DASHBOARD_SHOTS.storage,
    ];
    for (const path of written) {
      if (path.endsWith(DASHBOARD_SHOTS.csv)) expectRealPicture(path, 1000, 80, 0.99);
      else if (excerpts.includes(basename(path))) expectRealPicture(path, 1000, 300);
      else if (path.endsWith(DASHBOARD_SHOTS.phone)) expectRealPicture(path, 375, 600);
      else expectRealPicture(path, 1000, 600);
    }
  });

  it('module réel dans Thunderbird : fenêtre du module, options, panneau de sondage avec verdicts', async () => {
    const written = await captureThunderbird(server, out);
    expect(written.map((p) => basename(p)).sort()).toEqual(Object.values(THUNDERBIRD_SHOTS).sort());
    for (const path of written) {
      if (path.endsWith(THUNDERBIRD_SHOTS.popup)) expectRealPicture(path, 250, 150);
      else expectRealPicture(path, 1200, 700);
    }
  });

  it('chaque image citée par un guide est produite par le script et présente dans docs/images', () => {
    const docs = join(REPO_ROOT, 'docs');
    const cited = new Set<string>();
    for (const file of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
      for (const match of readFileSync(join(docs, file), 'utf8').matchAll(/\]\(images\/([^)\s]+)\)/g)) {
        cited.add(match[1]!);
      }
    }
    expect(cited.size).toBeGreaterThan(0);
    for (const name of cited) {
      expect(SCRIPT_SHOTS, `${name} n'est pas produite par npm run screenshots`).toContain(name);
      expect(existsSync(join(docs, 'images', name)), `docs/images/${name} absente`).toBe(true);
    }
  });
});

// Debian's Chromium driven by playwright-core, with the flags this closed network needs (machine notes),
// in French: the pages' Intl through `locale`, native date fields through the process locale.
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Fails with the install command when Chromium is missing (never a silent skip). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium absent (${CHROMIUM}) : installez-le avec « apt-get install -y chromium ».`);
}

/** A headless, French, persistent-profile Chromium; `options` adds to (or overrides) the defaults. */
export async function launchChromium(
  profileDir: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<BrowserContext> {
  requireChromium();
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    locale: 'fr-FR',
    // Date fields follow the process locale, not `locale` (needs Chromium's fr.pak: chromium-l10n).
    env: { ...process.env, LANG: 'fr_FR.UTF-8', LANGUAGE: 'fr' },
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=fr-FR',
    ],
    ...options,
  });
}

/**
 * Collects what a dashboard page must never log: console errors and warnings, uncaught errors, CSP
 * violations. The anonymous session probe's 401 is by design; `expected` lets a test pass the failing
 * answers it provokes itself (a URL pattern and a status).
 */
export async function watchProblems(
  context: BrowserContext,
  page: Page,
  expected: { url: RegExp; status: number }[] = [],
): Promise<string[]> {
  const problems: string[] = [];
  const allowed = [{ url: /\/api\/v1\/session$/, status: 401 }, ...expected];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const url = message.location().url;
    if (allowed.some((a) => a.url.test(url) && new RegExp(`\\b${a.status}\\b`).test(message.text()))) return;
    problems.push(`${message.type()}: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

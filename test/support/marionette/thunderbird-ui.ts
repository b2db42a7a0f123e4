// Drives the real Thunderbird's UI through Marionette: starts a harness client with Marionette on, opens the
// add-on's pages in tabs of the main window, acts inside them and takes screenshots of what Thunderbird paints.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { restartClient, startClient, type Client, type ClientOptions } from '../thunderbird/client.ts';
import type { ThunderbirdProcess } from '../thunderbird/launcher.ts';
import { Marionette } from './marionette.ts';

export const FRENCH_LANGPACK = '/usr/lib/thunderbird/extensions/langpack-fr@thunderbird.mozilla.org.xpi';

/** A harness client whose Thunderbird listens for Marionette on `port` (chrome context, system access). */
export interface DrivenClient {
  client: Client;
  ui: Marionette;
  port: number;
  /** Extra environment of the Thunderbird process (kept for restarts). */
  env: Readonly<Record<string, string>>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Marionette is switched on by environment variables read at start-up (the harness launcher passes the
 * test process's environment through): `MOZ_MARIONETTE` starts the server, `MOZ_REMOTE_ALLOW_SYSTEM_ACCESS`
 * allows the chrome context. They (and `extra`) are set only for the duration of the launch.
 */
export async function withMarionetteEnv<T>(
  extra: Readonly<Record<string, string>>,
  launch: () => Promise<T>,
): Promise<T> {
  const env: Record<string, string> = { ...extra, MOZ_MARIONETTE: '1', MOZ_REMOTE_ALLOW_SYSTEM_ACCESS: '1' };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await launch();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Quits Thunderbird from its menu, as an agent does (Marionette `eAttemptQuit`; its Marionette server must be
 * on, see `withMarionetteEnv`): it then writes its folder summaries (`.msf`). On SIGTERM Thunderbird 153 exits
 * at once without writing them, and at the next start downloads again what it had not written (IMAP
 * headers, offline copies: docs/reliability.md). Stops it by signal if it has not quit within
 * `timeoutMs`; true when it quit by itself.
 */
export async function quitLikeAUser(
  tb: ThunderbirdProcess,
  port: number,
  timeoutMs = 120_000,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((done) => (timer = setTimeout(() => done(false), timeoutMs)));
  // Every step is bounded: a Marionette command can go unanswered (seen once: a session left open by
  // another client), and Thunderbird may quit before answering. The connection is closed either way.
  let ui: Marionette | undefined;
  void (async () => {
    ui = await Marionette.connect(port, Math.min(30_000, timeoutMs));
    await ui.startChromeSession();
    await ui.send('Marionette:Quit', { flags: ['eAttemptQuit'] });
  })().catch(() => undefined);
  const quit = await Promise.race([tb.exited.then(() => true), late]);
  clearTimeout(timer);
  ui?.close();
  await tb.stop();
  return quit;
}

async function attach(
  client: Client,
  port: number,
  env: Readonly<Record<string, string>>,
): Promise<DrivenClient> {
  try {
    const ui = await Marionette.connect(port);
    await ui.startChromeSession();
    return { client, ui, port, env };
  } catch (error) {
    await client.tb.stop();
    throw error;
  }
}

/**
 * Options of `startClient`, plus `french`: Thunderbird (and so the add-on's `_locales`) in French, and `env`:
 * extra environment of the Thunderbird process (e.g. `TZ`).
 */
export async function startDrivenClient(
  options: ClientOptions & { french?: boolean; env?: Readonly<Record<string, string>> },
): Promise<DrivenClient> {
  if (options.french && !existsSync(FRENCH_LANGPACK)) {
    throw new Error(
      `Module de langue française de Thunderbird absent (${FRENCH_LANGPACK}) : apt-get install -y thunderbird-l10n-fr`,
    );
  }
  const port = await freePort();
  const { french, env = {}, ...rest } = options;
  const client = await withMarionetteEnv(env, () =>
    startClient({
      ...rest,
      prefs: {
        ...rest.prefs,
        'marionette.port': port,
        ...(french ? { 'intl.locale.requested': 'fr' } : {}),
      },
    }),
  );
  return attach(client, port, env);
}

/** Restarts on the same profile (its prefs keep the Marionette port); the add-on's data survives. */
export async function restartDrivenClient(
  driven: DrivenClient,
  markers?: readonly string[],
): Promise<DrivenClient> {
  driven.ui.close();
  const client = await withMarionetteEnv(driven.env, () => restartClient(driven.client, markers));
  return attach(client, driven.port, driven.env);
}

export async function stopDrivenClient(driven: DrivenClient | undefined): Promise<void> {
  driven?.ui.close();
  await driven?.client.tb.stop();
}

/** The add-on's page URL (`moz-extension://<uuid>/<path>`), waiting for the add-on to be started. */
export async function extensionUrl(ui: Marionette, addonId: string, path: string): Promise<string> {
  return ui.run<string>(
    `for (let i = 0; i < 240; i += 1) {
       const policy = WebExtensionPolicy.getByID(args[0]);
       if (policy) return policy.getURL(args[1]);
       await new Promise((r) => setTimeout(r, 250));
     }
     throw new Error('module ' + args[0] + ' non démarré');`,
    [addonId, path],
  );
}

/** Resizes Thunderbird's main window (headless windows take any size). */
export async function resizeWindow(ui: Marionette, width: number, height: number): Promise<void> {
  await ui.run(
    `window.resizeTo(args[0], args[1]);
     for (let i = 0; i < 40 && (window.outerWidth !== args[0] || window.outerHeight !== args[1]); i += 1)
       await new Promise((r) => setTimeout(r, 100));`,
    [width, height],
  );
}

/** Opens `url` in a new tab of the main window (as `tabs.create` does) and waits until it has loaded. */
export async function openTab(ui: Marionette, url: string): Promise<void> {
  await ui.run(
    `const tabmail = document.getElementById('tabmail');
     const tab = tabmail.openTab('contentTab', { url: args[0], background: false });
     for (let i = 0; i < 300; i += 1) {
       if (tab.browser.currentURI?.spec === args[0] && !tab.browser.webProgress?.isLoadingDocument) return;
       await new Promise((r) => setTimeout(r, 100));
     }
     throw new Error('onglet non chargé : ' + args[0]);`,
    [url],
    60_000,
  );
}

/** Brings to the front the tab whose URL contains `part` (a message tab opened by the add-on goes in front). */
export async function selectTab(ui: Marionette, part: string): Promise<void> {
  await ui.run(
    `const tabmail = document.getElementById('tabmail');
     const tab = tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec.includes(args[0]));
     if (!tab) throw new Error('aucun onglet ' + args[0]);
     tabmail.switchToTab(tab);
     await new Promise((r) => setTimeout(r, 300));`,
    [part],
  );
}

/**
 * Runs `body` inside the page shown by the tab whose URL contains `part` (a message-manager frame script in
 * the extension's content process: `doc` is the page's document, `win` its window, `args` the arguments)
 * and resolves with what it returns (JSON). The page's own code is untouched; clicks go through its handlers.
 */
export async function inPage<T = unknown>(
  ui: Marionette,
  part: string,
  body: string,
  args: unknown[] = [],
  timeoutMs = 60_000,
): Promise<T> {
  const name = `suivi-balf-shot-${Math.random().toString(36).slice(2)}`;
  const frame =
    `(async () => { const win = content; const doc = content.document; const args = ${JSON.stringify(args)};\n` +
    `${body}\n})().then((value) => sendAsyncMessage(${JSON.stringify(name)}, { value: JSON.stringify(value ?? null) }),` +
    ` (e) => sendAsyncMessage(${JSON.stringify(name)}, { error: String(e) }));`;
  // The data: URL is read as Latin-1: keep the script ASCII (\u escapes are valid in strings and identifiers).
  const ascii = frame.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const answer = await ui.run<{ value?: string; error?: string }>(
    `const tabmail = document.getElementById('tabmail');
     const tab = tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec.includes(args[0]));
     if (!tab) throw new Error('aucun onglet ' + args[0]);
     const mm = tab.browser.messageManager;
     return await new Promise((resolve) => {
       const listener = (message) => { mm.removeMessageListener(args[1], listener); resolve(message.data); };
       mm.addMessageListener(args[1], listener);
       mm.loadFrameScript('data:,' + encodeURIComponent(args[2]), false);
     });`,
    [part, name, ascii],
    timeoutMs,
  );
  if (answer.error !== undefined) throw new Error(`dans la page ${part} : ${answer.error}`);
  return JSON.parse(answer.value ?? 'null') as T;
}

/** Waits (inside the page) until `condition` (an expression over `doc`) is true. */
export async function waitInPage(
  ui: Marionette,
  part: string,
  condition: string,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await inPage(
    ui,
    part,
    `const until = Date.now() + ${timeoutMs};
     while (!(${condition})) {
       if (Date.now() > until) throw new Error(${JSON.stringify(`délai dépassé : ${what}`)});
       await new Promise((r) => win.setTimeout(r, 200));
     }`,
    [],
    timeoutMs + 10_000,
  );
}

/** PNG of the whole main window as Thunderbird paints it (tabs, toolbars and the page shown). */
export async function windowScreenshot(ui: Marionette): Promise<Buffer> {
  // Let a layout change (scroll, resize, new tab) reach the screen before capturing it.
  await ui.run(`await new Promise((r) => window.requestAnimationFrame(() => setTimeout(r, 300)));`);
  return ui.screenshot();
}

/**
 * Opens the add-on's toolbar popup with a real click on its button and returns a PNG of the popup as
 * rendered (the popup is its own widget, outside the main window's own paint), then closes it.
 */
export async function popupScreenshot(ui: Marionette, addonId: string): Promise<Buffer> {
  const dataUrl = await ui.run<string>(
    `const item = document.querySelector('[item-id="ext-' + args[0] + '"]');
     if (!item) throw new Error('bouton du module absent de la barre d\\'outils');
     (item.querySelector('button') ?? item).click();
     let browser;
     for (let i = 0; i < 200; i += 1) {
       browser = [...document.querySelectorAll('browser')].find((b) => b.currentURI?.spec.includes('/popup/popup.html'));
       if (browser && !browser.webProgress?.isLoadingDocument && browser.clientHeight > 50) break;
       await new Promise((r) => setTimeout(r, 100));
     }
     if (!browser) throw new Error('fenêtre du module non ouverte');
     // The popup fills in its figures from the ledger after load, and resizes to them.
     await new Promise((r) => setTimeout(r, 1500));
     const bitmap = await browser.browsingContext.currentWindowGlobal.drawSnapshot(null, 1, 'white');
     const canvas = document.createElementNS('http://www.w3.org/1999/xhtml', 'canvas');
     canvas.width = bitmap.width;
     canvas.height = bitmap.height;
     canvas.getContext('2d').drawImage(bitmap, 0, 0);
     browser.closest('panel')?.hidePopup();
     return canvas.toDataURL('image/png');`,
    [addonId],
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

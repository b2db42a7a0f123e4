// Entry point of the dashboard: session, hash router, header tools; each page renders into #app.
import { Api, ApiError, type Session, type Target } from './api.ts';
import { alertBox, h, replaceChildren } from './dom.ts';
import {
  formatHash,
  homeRoute,
  parseHash,
  parseScope,
  type Route,
  type Scope,
  type StatsRoute,
} from './route.ts';
import { isFuture } from './period.ts';
import { markScrollableTables } from './table.ts';
import { drawLineChart } from './views/chart.ts';
import { renderCalendar } from './views/calendar.ts';
import { renderDirectory } from './views/directory.ts';
import { renderLogin } from './views/login.ts';
import { renderNotifications, type NodeOption } from './views/notifications.ts';
import { loadStats, renderStatsPage, renderStatsProblem, type StatsPageContext } from './views/stats-page.ts';

const api = new Api();
const app = document.getElementById('app') as HTMLElement;
const tools = document.getElementById('session-tools') as HTMLElement;
const menuButton = document.getElementById('menu-button') as HTMLButtonElement;
const toolsPanel = document.getElementById('session-tools-panel') as HTMLElement;

// Below 992 px the header links fold under the DSFR « Menu » button (the DSFR script, which would do it, is not loaded).
function setMenu(open: boolean): void {
  menuButton.setAttribute('aria-expanded', String(open));
  toolsPanel.classList.toggle('sb-tools--open', open);
}
menuButton.addEventListener('click', () => setMenu(menuButton.getAttribute('aria-expanded') !== 'true'));
toolsPanel.addEventListener('click', (event) => {
  if ((event.target as HTMLElement).closest('a, button') !== null) setMenu(false);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && menuButton.getAttribute('aria-expanded') === 'true') {
    setMenu(false);
    menuButton.focus();
  }
});

let session: Session | null = null;
let scope: Scope | null = null;
let targets: Target[] | null = null;
let dispose: () => void = () => undefined;
/** Incremented on every render so that a slow answer for an old route is dropped. */
let generation = 0;
let firstRender = true;

function go(route: Route, replace = false): void {
  const hash = formatHash(route);
  if (replace) {
    history.replaceState(null, '', hash);
    void render();
  } else if (location.hash === hash) {
    void render();
  } else {
    location.hash = hash;
  }
}

function renderTools(): void {
  menuButton.classList.toggle('sb-hidden', session === null);
  if (session === null) {
    replaceChildren(tools);
    return;
  }
  const logout = h(
    'button',
    { class: 'fr-btn fr-btn--tertiary-no-outline', type: 'button', id: 'logout' },
    'Se déconnecter',
  );
  logout.addEventListener('click', () => {
    void api.logout().finally(() => {
      session = null;
      scope = null;
      renderTools();
      go({ page: 'login' });
    });
  });
  replaceChildren(
    tools,
    h(
      'li',
      {},
      h(
        'span',
        { class: 'fr-btn fr-btn--tertiary-no-outline', id: 'current-user' },
        `Connecté : ${session.login}`,
      ),
    ),
    scope?.level === 'national'
      ? h('li', {}, h('a', { class: 'fr-btn fr-btn--tertiary-no-outline', href: '#/annuaire' }, 'Annuaire'))
      : null,
    h('li', {}, h('a', { class: 'fr-btn fr-btn--tertiary-no-outline', href: '#/calendrier' }, 'Calendrier')),
    h(
      'li',
      {},
      h('a', { class: 'fr-btn fr-btn--tertiary-no-outline', href: '#/notifications' }, 'Mes notifications'),
    ),
    h('li', {}, logout),
  );
}

function show(content: HTMLElement, title: string): void {
  dispose();
  dispose = () => undefined;
  replaceChildren(app, content);
  app.setAttribute('aria-busy', 'false');
  markScrollableTables(app);
  document.title = `${title} — Suivi BALF`;
  // Move focus to the new page's title after a navigation (not on first load), for keyboard and screen-reader users.
  if (!firstRender) document.getElementById('page-title')?.focus();
  firstRender = false;
}

function showError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) {
    session = null;
    renderTools();
    go({ page: 'login', next: location.hash }, true);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  show(
    h(
      'div',
      {},
      h('h1', { tabindex: -1, id: 'page-title' }, 'Données indisponibles'),
      alertBox('error', 'Erreur', message),
      h('p', {}, h('a', { href: '#/', class: 'fr-link' }, 'Revenir à votre tableau de bord')),
    ),
    'Erreur',
  );
}

/** The server's reasons for refusing a query (the `details` of a 400), in its words. */
function reasonsOf(error: ApiError): string[] {
  const details = error.details as { details?: { message?: unknown }[] } | undefined;
  return (details?.details ?? []).flatMap((d) => (typeof d.message === 'string' ? [d.message] : []));
}

async function showStats(route: StatsRoute, ticket: number): Promise<void> {
  app.setAttribute('aria-busy', 'true');
  targets ??= await api.targets();
  const today = new Date();
  const ctx: StatsPageContext = {
    route,
    targets,
    today,
    scope,
    navigate: (next) => go(next),
    drawChart: drawLineChart,
  };
  const onFormError = (message: string) =>
    replaceChildren(
      document.getElementById('form-error') as HTMLElement,
      alertBox('error', 'Période invalide', message),
    );
  const problem = async (kind: Parameters<typeof renderStatsProblem>[2]) => {
    const crumbs = await api.path(route.level, route.id).catch(() => []);
    if (ticket !== generation) return;
    const content = renderStatsProblem(ctx, crumbs, kind, onFormError);
    show(content, content.querySelector('h1')?.textContent ?? 'Statistiques');
  };
  // A period not begun holds only zeros: say so and keep the form, rather than draw a flat line.
  if (isFuture(route.period, today)) return problem({ kind: 'future' });
  let data;
  try {
    data = await loadStats(api, route, targets, today);
  } catch (error) {
    // A period the server refuses (too long…): its reason beside the form, which keeps the user's dates.
    if (error instanceof ApiError && error.status === 400)
      return problem({ kind: 'refused', message: error.message, reasons: reasonsOf(error) });
    throw error;
  }
  if (ticket !== generation) return;
  const rendered = renderStatsPage(ctx, data, onFormError);
  show(rendered.content, rendered.content.querySelector('h1')?.textContent ?? 'Statistiques');
  rendered.drawChart();
  dispose = rendered.dispose;
}

/** The nodes offered by « Mes notifications »: the user's scope and its children, named as the backlog names them. */
async function scopeNodes(): Promise<NodeOption[]> {
  if (scope === null)
    throw new Error('Votre compte n’a pas de périmètre valide : contactez votre administrateur.');
  const top = await api.backlog(new URLSearchParams({ level: scope.level, id: scope.id }).toString());
  return [
    { level: top.level, id: top.id, label: top.label },
    ...top.children.map((c) => ({ level: c.level, id: c.id, label: c.label })),
  ];
}

async function render(): Promise<void> {
  const ticket = ++generation;
  const route = parseHash(location.hash, new Date());
  if (route === null) return; // an in-page anchor such as the skip link
  try {
    if (session === null && route.page !== 'login') {
      go({ page: 'login', ...(route.page === 'home' ? {} : { next: location.hash }) }, true);
      return;
    }
    switch (route.page) {
      case 'login':
        if (session !== null) return go({ page: 'home' }, true);
        show(
          renderLogin(api, (next) => {
            session = next;
            scope = parseScope(next.scope);
            renderTools();
            if (
              route.next !== undefined &&
              route.next.startsWith('#/') &&
              !route.next.startsWith('#/connexion')
            ) {
              history.replaceState(null, '', route.next);
              void render();
            } else go({ page: 'home' }, true);
          }),
          'Connexion',
        );
        return;
      case 'home':
        if (scope === null)
          throw new Error('Votre compte n’a pas de périmètre valide : contactez votre administrateur.');
        return go(homeRoute(scope, new Date()), true);
      case 'directory':
        if (scope?.level !== 'national')
          throw new Error('L’annuaire est réservé aux administrateurs nationaux.');
        show(renderDirectory(api), 'Annuaire');
        return;
      case 'calendar': {
        app.setAttribute('aria-busy', 'true');
        const overlays = await api.overlays();
        if (ticket === generation) show(renderCalendar(overlays), 'Calendrier');
        return;
      }
      case 'notifications': {
        app.setAttribute('aria-busy', 'true');
        const settings = await api.notifications();
        const nodes = settings.enabled ? await scopeNodes() : [];
        if (ticket === generation) show(renderNotifications(api, settings, nodes), 'Mes notifications');
        return;
      }
      case 'stats':
        await showStats(route, ticket);
        return;
    }
  } catch (error) {
    if (ticket === generation) showError(error);
  }
}

async function start(): Promise<void> {
  try {
    session = await api.session();
    scope = session === null ? null : parseScope(session.scope);
  } catch (error) {
    showError(error);
    return;
  }
  renderTools();
  window.addEventListener('hashchange', () => void render());
  let resizing: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => markScrollableTables(app), 150);
  });
  await render();
}

void start();

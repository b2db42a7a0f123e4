// Directory page (national users): import the directory CSV, list the BALFs not attached to any service.
import { ApiError, type Api, type UnattachedBalf } from '../api.ts';
import { alertBox, h, replaceChildren } from '../dom.ts';
import { formatCount } from '../format.ts';
import { parseDay } from '../period.ts';

const dayFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' });

const counterLabels: Record<string, string> = {
  departments: 'départements',
  services: 'services',
  balfs: 'BALF',
  created: 'créés',
  updated: 'mis à jour',
  unchanged: 'inchangés',
  rows: 'lignes',
};

/** Table of unattached BALFs: address, first and last day with data, messages counted. */
export function renderUnattached(list: UnattachedBalf[]): HTMLElement {
  if (list.length === 0)
    return h(
      'p',
      { id: 'unattached-empty' },
      'Toutes les BALF qui envoient des données sont rattachées à un service.',
    );
  const day = (iso: string) => {
    const date = parseDay(iso);
    return date === null ? iso : dayFormat.format(date);
  };
  return h(
    'div',
    { class: 'fr-table', id: 'table-unattached' },
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        { class: 'fr-table__container' },
        h(
          'div',
          { class: 'fr-table__content' },
          h(
            'table',
            {},
            h('caption', {}, `BALF non rattachées (${list.length})`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Adresse de la BALF'),
                h('th', { scope: 'col' }, 'Premières données'),
                h('th', { scope: 'col' }, 'Dernières données'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Messages'),
              ),
            ),
            h(
              'tbody',
              {},
              list.map((b) =>
                h(
                  'tr',
                  { 'data-balf': b.balf },
                  h('th', { scope: 'row' }, b.balf),
                  h('td', {}, day(b.firstDay)),
                  h('td', {}, day(b.lastDay)),
                  h('td', { class: 'sb-num', 'data-metric': 'records' }, formatCount(b.records)),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Readable summary of an import answer (whatever counters the server returns). */
export function importSummary(result: Record<string, unknown>): string {
  const parts = Object.entries(result)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${counterLabels[k] ?? k} : ${String(v)}`);
  return parts.length > 0 ? parts.join(', ') : 'Annuaire importé.';
}

export function renderDirectory(api: Api): HTMLElement {
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const unattached = h('div', { id: 'unattached' }, h('p', {}, 'Chargement…'));
  const input = h('input', {
    class: 'fr-upload',
    type: 'file',
    id: 'directory-file',
    name: 'directory-file',
    accept: '.csv,text/csv',
  });
  const form = h(
    'form',
    { id: 'import-form' },
    h(
      'div',
      { class: 'fr-upload-group fr-mb-2w' },
      h(
        'label',
        { class: 'fr-label', for: 'directory-file' },
        'Fichier de l’annuaire (CSV)',
        h(
          'span',
          { class: 'fr-hint-text' },
          'Colonnes : department_code, department_name, service_code, service_name, service_kind, balf_address et, si besoin, region. Un fichier comportant une ligne erronée n’est pas importé.',
        ),
      ),
      input,
    ),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Importer'),
  );
  const refresh = () =>
    api.unattached().then(
      (page) =>
        replaceChildren(
          unattached,
          renderUnattached(page.balfs),
          page.total > page.balfs.length
            ? h('p', { class: 'fr-hint-text' }, `${page.balfs.length} premières adresses sur ${page.total}.`)
            : [],
        ),
      (error: unknown) =>
        replaceChildren(
          unattached,
          alertBox('error', 'Liste indisponible', error instanceof Error ? error.message : String(error)),
        ),
    );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const file = input.files?.[0];
    if (file === undefined) {
      replaceChildren(result, alertBox('error', 'Aucun fichier', 'Choisissez le fichier CSV de l’annuaire.'));
      return;
    }
    void file
      .text()
      .then((text) => api.importDirectory(text))
      .then(
        (answer) => {
          replaceChildren(result, alertBox('success', 'Annuaire importé', importSummary(answer)));
          return refresh();
        },
        (error: unknown) => {
          const details =
            error instanceof ApiError
              ? (error.details as { errors?: { line: number; message: string }[] } | undefined)
              : undefined;
          const box = alertBox(
            'error',
            'Import refusé',
            error instanceof Error ? error.message : String(error),
          );
          if (details?.errors !== undefined && details.errors.length > 0) {
            box.appendChild(
              h(
                'ul',
                {},
                details.errors.map((e) => h('li', {}, `Ligne ${e.line} : ${e.message}`)),
              ),
            );
          }
          replaceChildren(result, box);
        },
      );
  });
  void refresh();
  return h(
    'div',
    { id: 'directory-page' },
    h('h1', { tabindex: -1, id: 'page-title' }, 'Annuaire'),
    h('h2', {}, 'Importer l’annuaire'),
    result,
    form,
    h('h2', { class: 'fr-mt-4w' }, 'BALF non rattachées'),
    h(
      'p',
      {},
      'Ces adresses envoient des données mais ne figurent dans aucun service de l’annuaire : leurs messages sont conservés et seront comptés dès leur rattachement.',
    ),
    unattached,
  );
}

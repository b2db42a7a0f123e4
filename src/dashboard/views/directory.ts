// Directory page (national users): the current directory with its codes, export and template, an import shown
// as a preview of its changes before it is applied, and the BALFs not attached to any service.
import { ApiError, type Api, type DirectoryListing, type UnattachedBalf } from '../api.ts';
import { alertBox, breakable, h, replaceChildren } from '../dom.ts';
import { formatCount } from '../format.ts';
import { longDate } from '../period.ts';
import { dataTable, markScrollableTables } from '../table.ts';
import { renderPreview } from './directory-preview.ts';

/** Table of unattached BALFs: address, first and last day with data, messages counted. */
export function renderUnattached(list: UnattachedBalf[]): HTMLElement {
  if (list.length === 0)
    return h(
      'p',
      { id: 'unattached-empty' },
      'Toutes les BALF qui envoient des données sont rattachées à un service.',
    );
  return dataTable({
    id: 'table-unattached',
    caption: `BALF non rattachées (${list.length})`,
    rows: list,
    rowAttrs: (b) => ({ 'data-balf': b.balf }),
    columns: [
      { key: 'balf', label: 'Adresse de la BALF', rowHeader: true, cell: (b) => breakable(b.balf) },
      { key: 'firstDay', label: 'Premières données', cell: (b) => longDate(b.firstDay) },
      { key: 'lastDay', label: 'Dernières données', cell: (b) => longDate(b.lastDay) },
      { key: 'records', label: 'Messages', numeric: true, cell: (b) => formatCount(b.records) },
    ],
  });
}

/** The current directory: one department at a time (a select), its services with codes and BALF addresses. */
export function renderListing(listing: DirectoryListing): HTMLElement {
  const departments = listing.departments;
  const services = departments.reduce((n, d) => n + d.services.length, 0);
  const balfs = departments.reduce((n, d) => n + d.services.reduce((m, s) => m + s.balfs.length, 0), 0);
  const summary = h(
    'p',
    { id: 'directory-counts' },
    `${formatCount(departments.length)} départements, ${formatCount(services)} services, ${formatCount(balfs)} BALF.`,
  );
  if (departments.length === 0)
    return h('div', {}, summary, h('p', {}, 'L’annuaire est vide : importez un fichier ci-dessous.'));
  const select = h(
    'select',
    { class: 'fr-select', id: 'directory-department', name: 'directory-department' },
    departments.map((d) =>
      h(
        'option',
        { value: d.code },
        `${d.code} — ${d.name} (${d.services.length} service${d.services.length > 1 ? 's' : ''})`,
      ),
    ),
  );
  const table = h('div', { id: 'directory-services', 'aria-live': 'polite' });
  const showDepartment = (code: string) => {
    const d = departments.find((x) => x.code === code) ?? departments[0]!;
    replaceChildren(
      table,
      dataTable({
        id: 'table-directory',
        caption: `Services du département ${d.code} — ${d.name} (région du calendrier : ${d.region})`,
        rows: d.services,
        multiline: true,
        rowAttrs: (s) => ({ 'data-service': s.code }),
        columns: [
          {
            key: 'code',
            label: 'Code du service',
            rowHeader: true,
            cell: (s) => s.code,
            sortValue: (s) => s.code,
          },
          { key: 'name', label: 'Nom', cell: (s) => s.name, sortValue: (s) => s.name },
          { key: 'kind', label: 'Type', cell: (s) => s.kind, sortValue: (s) => s.kind },
          { key: 'region', label: 'Calendrier', cell: (s) => s.region },
          {
            key: 'balfs',
            label: 'Adresses des BALF',
            cell: (s) =>
              s.balfs.length === 0
                ? 'aucune'
                : h(
                    'ul',
                    { class: 'sb-plain-list' },
                    s.balfs.map((b) => h('li', {}, b)),
                  ),
          },
        ],
      }),
    );
    markScrollableTables(table);
  };
  select.addEventListener('change', () => showDepartment(select.value));
  showDepartment(departments[0]!.code);
  return h(
    'div',
    {},
    summary,
    h(
      'div',
      { class: 'fr-select-group' },
      h('label', { class: 'fr-label', for: 'directory-department' }, 'Département affiché'),
      select,
    ),
    table,
  );
}

/** The file field with French wording throughout (the browser's own button text follows its language). */
function fileField(): { group: HTMLElement; input: HTMLInputElement } {
  const input = h('input', {
    class: 'fr-sr-only sb-file__input',
    type: 'file',
    id: 'directory-file',
    name: 'directory-file',
    accept: '.csv,text/csv',
    'aria-describedby': 'directory-file-hint directory-file-name',
  });
  const name = h('span', { class: 'sb-file__name', id: 'directory-file-name' }, 'Aucun fichier choisi');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    name.textContent = file === undefined ? 'Aucun fichier choisi' : `Fichier choisi : ${file.name}`;
  });
  const group = h(
    'div',
    { class: 'fr-upload-group fr-mb-2w' },
    h(
      'p',
      { class: 'fr-label', id: 'directory-file-label' },
      'Fichier de l’annuaire (CSV)',
      h(
        'span',
        { class: 'fr-hint-text', id: 'directory-file-hint' },
        'Colonnes : department_code, department_name, service_code, service_name, service_kind, balf_address et, si besoin, region ; ' +
          'séparateur « ; » ou « , » ; encodage UTF-8 ou Windows-1252 (Excel), reconnu automatiquement. ' +
          'Un fichier comportant une ligne erronée n’est pas importé.',
      ),
    ),
    h(
      'div',
      { class: 'sb-file' },
      input,
      h(
        'label',
        { class: 'fr-btn fr-btn--secondary sb-file__button', for: 'directory-file' },
        'Choisir un fichier',
      ),
      name,
    ),
  );
  return { group, input };
}

function refusal(error: unknown): HTMLElement {
  const details =
    error instanceof ApiError
      ? (error.details as { errors?: { line: number; message: string }[] } | undefined)
      : undefined;
  const box = alertBox('error', 'Fichier refusé', error instanceof Error ? error.message : String(error));
  if (details?.errors !== undefined && details.errors.length > 0) {
    box.appendChild(
      h(
        'ul',
        {},
        details.errors.map((e) => h('li', {}, `Ligne ${e.line} : ${e.message}`)),
      ),
    );
  }
  return box;
}

export function renderDirectory(api: Api): HTMLElement {
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const preview = h('div', { id: 'import-preview' });
  const listing = h('div', { id: 'directory-listing' }, h('p', {}, 'Chargement…'));
  const unattached = h('div', { id: 'unattached' }, h('p', {}, 'Chargement…'));
  const { group, input } = fileField();
  const form = h(
    'form',
    { id: 'import-form', 'aria-labelledby': 'titre-import' },
    group,
    h('button', { class: 'fr-btn', type: 'submit', id: 'preview-submit' }, 'Prévisualiser les changements'),
  );
  const refresh = () =>
    Promise.all([
      api.unattached().then(
        (page) =>
          replaceChildren(
            unattached,
            renderUnattached(page.balfs),
            page.total > page.balfs.length
              ? h(
                  'p',
                  { class: 'fr-hint-text' },
                  `${page.balfs.length} premières adresses sur ${page.total}.`,
                )
              : [],
          ),
        (error: unknown) =>
          replaceChildren(
            unattached,
            alertBox('error', 'Liste indisponible', String(error instanceof Error ? error.message : error)),
          ),
      ),
      api.directory().then(
        (list) => replaceChildren(listing, renderListing(list)),
        (error: unknown) =>
          replaceChildren(
            listing,
            alertBox(
              'error',
              'Annuaire indisponible',
              String(error instanceof Error ? error.message : error),
            ),
          ),
      ),
    ]).then(() => markScrollableTables(document));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replaceChildren(preview);
    const file = input.files?.[0];
    if (file === undefined) {
      replaceChildren(result, alertBox('error', 'Aucun fichier', 'Choisissez le fichier CSV de l’annuaire.'));
      input.focus();
      return;
    }
    replaceChildren(result);
    void file.arrayBuffer().then(async (bytes) => {
      try {
        const answer = await api.previewDirectory(bytes);
        replaceChildren(
          preview,
          renderPreview(answer, file.name, {
            apply: async () => {
              try {
                const done = await api.importDirectory(bytes, answer.changes.fingerprint);
                replaceChildren(preview);
                replaceChildren(
                  result,
                  alertBox(
                    'success',
                    'Annuaire importé',
                    `${formatCount(Number(done['departments']))} départements, ${formatCount(Number(done['services']))} services, ` +
                      `${formatCount(Number(done['balfs']))} BALF lus dans le fichier ; les changements prévisualisés sont appliqués.`,
                  ),
                );
                input.value = '';
                input.dispatchEvent(new Event('change'));
                await refresh();
              } catch (error) {
                replaceChildren(result, refusal(error));
              }
              (document.getElementById('titre-import') as HTMLElement | null)?.focus();
            },
            cancel: () => {
              replaceChildren(preview);
              input.focus();
            },
          }),
        );
        markScrollableTables(preview);
        document.getElementById('preview-title')?.focus();
      } catch (error) {
        replaceChildren(result, refusal(error));
      }
    });
  });
  void refresh();
  const exportLink = (href: string, id: string, text: string, detail: string) =>
    h(
      'li',
      {},
      h(
        'a',
        { class: 'fr-link fr-link--download', href, id, download: true },
        text,
        h('span', { class: 'fr-link__detail' }, detail),
      ),
    );
  return h(
    'div',
    { id: 'directory-page' },
    h('h1', { tabindex: -1, id: 'page-title' }, 'Annuaire'),
    h('h2', { id: 'titre-annuaire', tabindex: -1 }, 'Annuaire actuel'),
    h(
      'ul',
      { class: 'sb-plain-list sb-links' },
      exportLink(
        '/api/v1/directory/export',
        'directory-export',
        'Exporter l’annuaire',
        'CSV – à modifier puis réimporter',
      ),
      exportLink(
        '/api/v1/directory/template',
        'directory-template',
        'Télécharger le modèle',
        'CSV – colonnes attendues et deux exemples',
      ),
    ),
    listing,
    h('h2', { class: 'fr-mt-4w', id: 'titre-import', tabindex: -1 }, 'Importer un annuaire'),
    h(
      'p',
      {},
      'L’import ajoute ou met à jour départements, services et BALF ; il ne supprime rien. ' +
        'Les changements sont d’abord affichés pour vérification, puis appliqués sur votre confirmation.',
    ),
    result,
    form,
    preview,
    h('h2', { class: 'fr-mt-4w' }, 'BALF non rattachées'),
    h(
      'p',
      {},
      'Ces adresses envoient des données mais ne figurent dans aucun service de l’annuaire : leurs messages sont conservés et seront comptés dès leur rattachement.',
    ),
    unattached,
  );
}

// The preview of a directory import: what the file adds, renames and moves (with the mail history that moves along).
import type { BalfHistory, DirectoryPreview } from '../api.ts';
import { breakable, h } from '../dom.ts';
import { formatCount } from '../format.ts';
import { longDate } from '../period.ts';
import { dataTable } from '../table.ts';

export interface PreviewActions {
  apply: () => Promise<void>;
  cancel: () => void;
}

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n > 1 ? many : one}`;
}

/** « 1 234 messages du 3 mars 2026 au 16 novembre 2026 : ils suivent la BALF », or that there are none. */
export function historyText(history: BalfHistory | null, moving: boolean): string {
  if (history === null) return 'aucun message reçu jusqu’ici';
  const one = history.messages === 1;
  const when =
    history.firstDay === history.lastDay
      ? `le ${longDate(history.firstDay)}`
      : `du ${longDate(history.firstDay)} au ${longDate(history.lastDay)}`;
  const span = `${plural(history.messages, 'message', 'messages')} ${when}`;
  return moving
    ? `${span} : ${one ? 'il suit' : 'ils suivent'} la BALF, chiffres recalculés`
    : `${span}, jusqu’ici « non rattaché${one ? '' : 's'} » : ${one ? 'il rejoint' : 'ils rejoignent'} ce service`;
}

export function renderPreview(
  preview: DirectoryPreview,
  fileName: string,
  actions: PreviewActions,
): HTMLElement {
  const c = preview.changes;
  const d = c.departments;
  const s = c.services;
  const b = c.balfs;
  const serviceChanges = [
    ...s.renamed.map((r) => ({ code: r.code, change: `renommé : « ${r.from} » → « ${r.to} »` })),
    ...s.moved.map((m) => ({
      code: m.code,
      change: `change de département : ${m.from} → ${m.to} (ses BALF et leurs chiffres le suivent)`,
    })),
    ...s.kindChanged.map((k) => ({ code: k.code, change: `type : ${k.from} → ${k.to}` })),
    ...s.regionChanged.map((r) => ({
      code: r.code,
      change: `calendrier : ${r.from} → ${r.to} (délais recalculés)`,
    })),
  ];
  const departmentChanges = [
    ...d.added.map((x) => ({ code: x.code, change: `ajouté : « ${x.name} » (calendrier ${x.region})` })),
    ...d.renamed.map((r) => ({ code: r.code, change: `renommé : « ${r.from} » → « ${r.to} »` })),
    ...d.regionChanged.map((r) => ({
      code: r.code,
      change: `calendrier : ${r.from} → ${r.to} (délais recalculés)`,
    })),
  ];
  const tags: [number, string, string][] = [
    [b.added.length, 'BALF ajoutée', 'BALF ajoutées'],
    [b.moved.length, 'BALF déplacée', 'BALF déplacées'],
    [s.added.length, 'service ajouté', 'services ajoutés'],
    [serviceChanges.length, 'service modifié', 'services modifiés'],
    [departmentChanges.length, 'département ajouté ou modifié', 'départements ajoutés ou modifiés'],
  ];
  const nothing = tags.every(([n]) => n === 0);
  const apply = h(
    'button',
    { class: 'fr-btn', type: 'button', id: 'import-apply' },
    'Appliquer ces changements',
  );
  apply.addEventListener('click', () => {
    apply.disabled = true;
    void actions.apply().finally(() => {
      apply.disabled = false;
    });
  });
  const cancel = h(
    'button',
    { class: 'fr-btn fr-btn--secondary', type: 'button', id: 'import-cancel' },
    'Annuler',
  );
  cancel.addEventListener('click', actions.cancel);
  const tables: HTMLElement[] = [];
  if (b.added.length > 0)
    tables.push(
      dataTable({
        id: 'preview-balfs-added',
        caption: `BALF ajoutées (${b.added.length})`,
        rows: b.added,
        multiline: true,
        rowAttrs: (x) => ({ 'data-balf': x.address }),
        columns: [
          { key: 'address', label: 'Adresse', rowHeader: true, cell: (x) => breakable(x.address) },
          { key: 'service', label: 'Service', cell: (x) => x.serviceCode },
          { key: 'history', label: 'Historique', cell: (x) => historyText(x.history, false) },
        ],
      }),
    );
  if (b.moved.length > 0)
    tables.push(
      dataTable({
        id: 'preview-balfs-moved',
        caption: `BALF déplacées vers un autre service (${b.moved.length})`,
        rows: b.moved,
        multiline: true,
        rowAttrs: (x) => ({ 'data-balf': x.address }),
        columns: [
          { key: 'address', label: 'Adresse', rowHeader: true, cell: (x) => breakable(x.address) },
          { key: 'from', label: 'Service actuel', cell: (x) => x.from },
          { key: 'to', label: 'Nouveau service', cell: (x) => x.to },
          { key: 'history', label: 'Historique', cell: (x) => historyText(x.history, true) },
        ],
      }),
    );
  if (s.added.length > 0)
    tables.push(
      dataTable({
        id: 'preview-services-added',
        caption: `Services ajoutés (${s.added.length})`,
        rows: s.added,
        rowAttrs: (x) => ({ 'data-service': x.code }),
        columns: [
          { key: 'code', label: 'Code', rowHeader: true, cell: (x) => x.code },
          { key: 'name', label: 'Nom', cell: (x) => x.name },
          { key: 'kind', label: 'Type', cell: (x) => x.kind },
          { key: 'department', label: 'Département', cell: (x) => x.departmentCode },
        ],
      }),
    );
  for (const [id, caption, rows] of [
    ['preview-services-changed', 'Services modifiés', serviceChanges],
    ['preview-departments', 'Départements ajoutés ou modifiés', departmentChanges],
  ] as const) {
    if (rows.length === 0) continue;
    tables.push(
      dataTable({
        id,
        caption: `${caption} (${rows.length})`,
        rows,
        multiline: true,
        rowAttrs: (x) => ({ 'data-code': x.code }),
        columns: [
          { key: 'code', label: 'Code', rowHeader: true, cell: (x) => x.code },
          { key: 'change', label: 'Changement', cell: (x) => x.change },
        ],
      }),
    );
  }
  return h(
    'div',
    { class: 'sb-preview', id: 'preview' },
    h('h3', { id: 'preview-title', tabindex: -1 }, `Aperçu de l’import de « ${fileName} »`),
    h(
      'p',
      { id: 'preview-encoding' },
      `Encodage reconnu : ${preview.encodingLabel}. Lus : ${plural(preview.rows.departments, 'département', 'départements')}, ` +
        `${plural(preview.rows.services, 'service', 'services')}, ${plural(preview.rows.balfs, 'BALF', 'BALF')} ` +
        `(inchangés : ${formatCount(c.unchanged.balfs)} BALF, ${formatCount(c.unchanged.services)} services).`,
    ),
    h(
      'ul',
      { class: 'fr-tags-group', 'aria-label': 'Résumé des changements' },
      nothing
        ? h('li', {}, h('p', { class: 'fr-tag' }, 'Aucun changement'))
        : tags
            .filter(([n]) => n > 0)
            .map(([n, one, many]) => h('li', {}, h('p', { class: 'fr-tag' }, plural(n, one, many)))),
    ),
    c.absentBalfs > 0
      ? h(
          'div',
          { class: 'fr-alert fr-alert--info fr-alert--sm fr-mb-2w' },
          h(
            'p',
            {},
            `${plural(c.absentBalfs, 'BALF de l’annuaire actuel est absente', 'BALF de l’annuaire actuel sont absentes')} du fichier : ` +
              'l’import ne supprime rien, elles restent rattachées à leur service.',
          ),
        )
      : null,
    tables,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      nothing ? null : h('li', {}, apply),
      h('li', {}, cancel),
    ),
  );
}

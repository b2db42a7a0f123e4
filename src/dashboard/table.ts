// The one DSFR table of the dashboard: caption, row headers, right-aligned numbers, sortable columns, scroll hint.
import { h, type Attrs, type Child } from './dom.ts';

export interface Column<R> {
  /** `data-metric` of the cells (tests and CSS read it). */
  key: string;
  label: string;
  /** Right-aligned, tabular figures. */
  numeric?: boolean;
  /** The row header (`th scope=row`); one per table, usually the first column. */
  rowHeader?: boolean;
  cell: (row: R) => Child;
  /** Makes the column sortable; null values sort last whatever the direction. */
  sortValue?: (row: R) => number | string | null;
}

export interface TableSpec<R> {
  id: string;
  caption: string;
  columns: Column<R>[];
  rows: readonly R[];
  rowAttrs?: (row: R) => Attrs;
  /** Long headers wrap instead of widening the table. */
  multiline?: boolean;
}

const SORT_LABEL = { ascending: 'croissant', descending: 'décroissant' } as const;

/** A DSFR table (`fr-table`); sortable columns get the DSFR sort button and `aria-sort`. */
export function dataTable<R>(spec: TableSpec<R>): HTMLElement {
  const body = h(
    'tbody',
    {},
    spec.rows.map((row, index) =>
      h(
        'tr',
        { ...(spec.rowAttrs?.(row) ?? {}), 'data-index': index },
        spec.columns.map((col) =>
          h(
            col.rowHeader === true ? 'th' : 'td',
            {
              ...(col.rowHeader === true ? { scope: 'row' } : {}),
              class: col.numeric === true ? 'fr-cell--right sb-num' : null,
              'data-metric': col.key,
            },
            col.cell(row),
          ),
        ),
      ),
    ),
  );
  const rowsByIndex = [...body.children] as HTMLElement[];
  const headers: HTMLTableCellElement[] = [];
  const sortBy = (index: number, direction: 'ascending' | 'descending') => {
    const col = spec.columns[index]!;
    const value = col.sortValue!;
    const order = spec.rows
      .map((row, i) => ({ i, v: value(row) }))
      .sort((a, b) => {
        if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
        const c =
          typeof a.v === 'number' && typeof b.v === 'number'
            ? a.v - b.v
            : String(a.v).localeCompare(String(b.v), 'fr', { numeric: true });
        return (direction === 'ascending' ? c : -c) || a.i - b.i;
      });
    body.replaceChildren(...order.map((o) => rowsByIndex[o.i]!));
    headers.forEach((th, i) => {
      const button = th.querySelector('button');
      if (i === index) th.setAttribute('aria-sort', direction);
      else th.removeAttribute('aria-sort');
      if (button) {
        button.classList.toggle('fr-btn--sort-asc', i === index && direction === 'ascending');
        button.classList.toggle('fr-btn--sort-desc', i === index && direction === 'descending');
        const next = i === index && direction === 'ascending' ? 'descending' : 'ascending';
        button.textContent = `Trier par « ${spec.columns[i]!.label} », ordre ${SORT_LABEL[next]}`;
      }
    });
  };
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      spec.columns.map((col, index) => {
        const th = h(
          'th',
          { scope: 'col', class: col.numeric === true ? 'fr-cell--right sb-th--num' : null },
          col.label,
        );
        headers.push(th);
        if (col.sortValue === undefined) return th;
        const button = h(
          'button',
          { type: 'button', class: 'fr-btn--sort fr-btn fr-btn--sm', 'data-sort': col.key },
          `Trier par « ${col.label} », ordre croissant`,
        );
        button.addEventListener('click', () => {
          sortBy(index, th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending');
          button.focus();
        });
        th.replaceChildren(h('div', { class: 'fr-cell--sort' }, col.label, button));
        return th;
      }),
    ),
  );
  return tableFrame(spec.id, spec.caption, head, body, spec.multiline === true);
}

/**
 * The DSFR frame of a table (wrapper, container, caption, scroll hint) around a head and body built by
 * the caller: for the few tables whose header holds its own controls instead of `dataTable`'s sorting.
 */
export function tableFrame(
  id: string,
  caption: string,
  head: HTMLElement,
  body: HTMLElement,
  multiline = false,
): HTMLElement {
  return h(
    'div',
    { class: `fr-table fr-table--sm${multiline ? ' fr-table--multiline' : ''}`, id },
    h(
      'p',
      { class: 'sb-scroll-hint sb-hidden fr-text--xs fr-mb-1w', 'aria-hidden': 'true' },
      'Faites défiler le tableau horizontalement pour voir toutes les colonnes →',
    ),
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        { class: 'fr-table__container' },
        h('div', { class: 'fr-table__content' }, h('table', {}, h('caption', {}, caption), head, body)),
      ),
    ),
  );
}

/**
 * Shows the scroll hint of the tables wider than their box and makes those boxes keyboard-scrollable
 * (a focusable region named after the caption); call after the tables are in the document and on resize.
 */
export function markScrollableTables(root: ParentNode): void {
  for (const table of root.querySelectorAll<HTMLElement>('.fr-table')) {
    const box = table.querySelector<HTMLElement>('.fr-table__container');
    const hint = table.querySelector<HTMLElement>('.sb-scroll-hint');
    if (box === null || hint === null) continue;
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    hint.classList.toggle('sb-hidden', !scrolls);
    if (scrolls) {
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'region');
      const caption = table.querySelector('caption')?.textContent ?? 'Tableau';
      box.setAttribute('aria-label', `${caption} (défilement horizontal)`);
    } else {
      box.removeAttribute('tabindex');
      box.removeAttribute('role');
      box.removeAttribute('aria-label');
    }
  }
}

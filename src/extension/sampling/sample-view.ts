// Rendering of the sample table: one row per drawn message with its ledger data, automatic status,
// buttons to open the message and its reply, and the verdict / comment / correction inputs.
import { timeZoneForRegion, type Region } from '../../core/calendar.ts';
import { el, type GetMessage } from '../i18n.ts';
import type { Draw, SampleRow } from './draw.ts';
import { statusNames, verdictNames, type Decisions } from './results.ts';

export interface ViewContext {
  doc: Document;
  t: GetMessage;
  region: Region;
  locale: string;
}

export function formatTime(iso: string, ctx: Pick<ViewContext, 'region' | 'locale'>): string {
  return new Date(iso).toLocaleString(ctx.locale, {
    dateStyle: 'short',
    timeStyle: 'short',
    timeZone: timeZoneForRegion(ctx.region),
  });
}

export function formatDay(day: string, locale: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(locale, { dateStyle: 'medium', timeZone: 'UTC' });
}

/** The sentence above the table: population, size, and "everything taken" when the request reached it. */
export function sampleInfo(ctx: ViewContext, draw: Draw): string {
  const { t } = ctx;
  const period = t('sampling_periodRange', [
    formatDay(draw.request.from, ctx.locale),
    formatDay(draw.request.to, ctx.locale),
  ]);
  if (draw.population === 0) return t('sampling_emptyPopulation', [draw.request.balf, period]);
  const parts = [
    t('sampling_sampleOf', [String(draw.rows.length), String(draw.population), draw.request.balf, period]),
  ];
  if (draw.request.size.kind === 'margin') {
    parts.push(
      t('sampling_sizeFromMargin', [
        String(Math.round(draw.request.size.margin * 100)),
        String(draw.requested),
      ]),
    );
  }
  if (draw.takeAll) parts.push(t('sampling_takeAll', [String(draw.requested), String(draw.population)]));
  parts.push(t('sampling_seedUsed', draw.request.seed));
  if (draw.request.stratifyByWeek) parts.push(t('sampling_stratified'));
  parts.push(t('sampling_asOf', formatTime(draw.asOf, ctx)));
  return parts.join(' ');
}

function headRow(ctx: ViewContext): HTMLTableRowElement {
  const tr = el(ctx.doc, 'tr');
  for (const key of [
    'sampling_colIndex',
    'sampling_colReceived',
    'sampling_colCorrespondent',
    'sampling_colSubject',
    'sampling_colCategory',
    'sampling_colReply',
    'sampling_colDelay',
    'sampling_colStatus',
    'sampling_colOpen',
    'sampling_colVerdict',
  ]) {
    tr.append(el(ctx.doc, 'th', ctx.t(key), { scope: 'col' }));
  }
  return tr;
}

function option(doc: Document, value: string, label: string, selected: boolean): HTMLOptionElement {
  const o = el(doc, 'option', label, { value });
  o.selected = selected;
  return o;
}

/** The "verdict" cell: verdict select, comment, and the optional correction of the automatic status. */
function decisionCell(
  ctx: ViewContext,
  row: SampleRow,
  n: number,
  decisions: Decisions,
): HTMLTableCellElement {
  const { doc, t } = ctx;
  const d = decisions[row.key] ?? {};
  const td = el(doc, 'td', undefined, { class: 'decision', 'data-label': t('sampling_colVerdict') });
  const verdict = el(doc, 'select', undefined, {
    'data-key': row.key,
    'data-field': 'verdict',
    'aria-label': t('sampling_verdictFor', String(n)),
  });
  verdict.append(option(doc, '', t('sampling_verdictNone'), d.verdict === undefined));
  for (const v of verdictNames) verdict.append(option(doc, v, t(`sampling_verdict_${v}`), d.verdict === v));
  verdict.value = d.verdict ?? '';
  const comment = el(doc, 'input', undefined, {
    type: 'text',
    'data-key': row.key,
    'data-field': 'comment',
    maxlength: '500',
    'aria-label': t('sampling_commentFor', String(n)),
    placeholder: t('sampling_commentPlaceholder'),
  });
  comment.value = d.comment ?? '';
  const override = el(doc, 'select', undefined, {
    'data-key': row.key,
    'data-field': 'override',
    'aria-label': t('sampling_overrideFor', String(n)),
  });
  override.append(option(doc, '', t('sampling_overrideNone'), d.override === undefined));
  for (const s of statusNames) {
    if (s !== row.status)
      override.append(option(doc, s, t(`sampling_status_${s}`), d.override?.status === s));
  }
  override.value = d.override?.status ?? '';
  const reason = el(doc, 'input', undefined, {
    type: 'text',
    'data-key': row.key,
    'data-field': 'reason',
    maxlength: '500',
    'aria-label': t('sampling_reasonFor', String(n)),
    placeholder: t('sampling_reasonPlaceholder'),
  });
  reason.value = d.override?.reason ?? '';
  reason.hidden = d.override === undefined;
  // A grid inside the cell (a cell that is itself a grid stops being a table cell).
  const fields = el(doc, 'div', undefined, { class: 'decision-fields' });
  fields.append(verdict, comment, override, reason);
  td.append(fields);
  return td;
}

function openCell(ctx: ViewContext, row: SampleRow, n: number): HTMLTableCellElement {
  const { doc, t } = ctx;
  const td = el(doc, 'td', undefined, { class: 'open', 'data-label': t('sampling_colOpen') });
  td.append(
    el(doc, 'button', t('sampling_openMessage'), {
      type: 'button',
      'data-open': 'message',
      'data-key': row.key,
      'aria-label': t('sampling_openMessageFor', String(n)),
    }),
  );
  if (row.reply) {
    td.append(
      el(doc, 'button', t('sampling_openReply'), {
        type: 'button',
        'data-open': 'reply',
        'data-key': row.key,
        'aria-label': t('sampling_openReplyFor', String(n)),
      }),
    );
  }
  td.append(el(doc, 'span', undefined, { class: 'open-status', 'data-open-status': row.key }));
  return td;
}

/** Why a reply is flagged: it left from another identity than the BALF's (send-watch.ts). */
const VIA_REASON = { personal: 'sampling_viaPersonal', 'other-balf': 'sampling_viaOtherBalf' } as const;

export function renderSampleRow(
  ctx: ViewContext,
  row: SampleRow,
  n: number,
  decisions: Decisions,
): HTMLTableRowElement {
  const { doc, t } = ctx;
  const tr = el(doc, 'tr', undefined, { 'data-row': row.key });
  const cell = (labelKey: string, text: string, cls?: string) =>
    el(doc, 'td', text, { 'data-label': t(labelKey), ...(cls ? { class: cls } : {}) });
  tr.append(el(doc, 'th', String(n), { scope: 'row' }));
  tr.append(cell('sampling_colReceived', formatTime(row.at, ctx)));
  tr.append(cell('sampling_colCorrespondent', row.correspondent ?? '—', 'wrap'));
  tr.append(cell('sampling_colSubject', row.subject ?? '—', 'wrap'));
  tr.append(cell('sampling_colCategory', t(`sampling_category_${row.category}`)));
  tr.append(cell('sampling_colReply', row.reply ? formatTime(row.reply.at, ctx) : t('sampling_noReply')));
  const delay =
    row.delayDays === null
      ? '—'
      : row.reply
        ? t('sampling_delayDays', String(row.delayDays))
        : t('sampling_elapsedDays', String(row.delayDays));
  tr.append(cell('sampling_colDelay', delay));
  const status = cell('sampling_colStatus', '', `status status-${row.status}`);
  status.append(el(doc, 'span', t(`sampling_status_${row.status}`)));
  if (row.reply?.heuristic) {
    // A reply that closes this message with its request answers a later reminder: say so, so that the
    // chef de service opens the right messages.
    const reason = row.reply.byRequest ? 'sampling_requestReason' : 'sampling_heuristicReason';
    status.append(el(doc, 'span', t(reason), { class: 'reason' }));
  }
  if (row.reply?.via)
    status.append(
      el(doc, 'span', t(VIA_REASON[row.reply.via]), { class: 'reason', 'data-via': row.reply.via }),
    );
  tr.append(status, openCell(ctx, row, n), decisionCell(ctx, row, n, decisions));
  return tr;
}

export function renderSample(ctx: ViewContext, draw: Draw, decisions: Decisions): void {
  const { doc } = ctx;
  const section = doc.getElementById('sample-section');
  const info = doc.getElementById('sample-info');
  const table = doc.getElementById('sample-table');
  if (!section || !info || !table) return;
  section.hidden = false;
  info.textContent = sampleInfo(ctx, draw);
  info.className = draw.population === 0 || draw.takeAll ? 'notice' : '';
  const thead = table.querySelector('thead');
  const tbody = table.querySelector('tbody');
  thead?.replaceChildren(...(draw.rows.length > 0 ? [headRow(ctx)] : []));
  tbody?.replaceChildren(...draw.rows.map((row, i) => renderSampleRow(ctx, row, i + 1, decisions)));
  table.hidden = draw.rows.length === 0;
}

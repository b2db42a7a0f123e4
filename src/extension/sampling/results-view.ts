// Rendering of the results (rate with its Wilson interval, counts, delays, disagreements) and of the
// list of spot-checks saved on this workstation.
import { el } from '../i18n.ts';
import type { SavedSpotCheck } from './audit.ts';
import type { SampleRow } from './draw.ts';
import type { Results } from './results.ts';
import { statusNames, verdictNames } from './results.ts';
import { formatDay, formatTime, type ViewContext } from './sample-view.ts';

export function percent(x: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

/** A captioned table in a scrolling wrapper, so a wide table never widens the page (200 % zoom). */
function table(ctx: ViewContext, caption: string, head: string[], rows: string[][]): HTMLDivElement {
  const { doc } = ctx;
  const t = el(doc, 'table');
  t.append(el(doc, 'caption', caption));
  const thead = el(doc, 'thead');
  const hr = el(doc, 'tr');
  head.forEach((h) => hr.append(el(doc, 'th', h, { scope: 'col' })));
  thead.append(hr);
  const tbody = el(doc, 'tbody');
  for (const r of rows) {
    const tr = el(doc, 'tr');
    r.forEach((v, i) => tr.append(i === 0 ? el(doc, 'th', v, { scope: 'row' }) : el(doc, 'td', v)));
    tbody.append(tr);
  }
  t.append(thead, tbody);
  const wrap = el(doc, 'div', undefined, { class: 'table-wrap' });
  wrap.append(t);
  return wrap;
}

/** The headline: human compliance rate over decided messages with the 95 % Wilson interval. */
export function rateSentence(ctx: ViewContext, r: Results): string {
  const { t } = ctx;
  if (r.sampleSize === 0) return t('sampling_noRateEmpty');
  if (r.rate === null || r.interval === null) return t('sampling_noRateUndecided');
  return t('sampling_rate', [
    percent(r.rate, ctx.locale),
    percent(r.interval.lower, ctx.locale),
    percent(r.interval.upper, ctx.locale),
    String(r.verdicts.conforme),
    String(r.decided),
  ]);
}

export function renderResults(ctx: ViewContext, r: Results, rows: readonly SampleRow[]): void {
  const { doc, t } = ctx;
  const section = doc.getElementById('results-section');
  const out = doc.getElementById('results');
  if (!section || !out) return;
  section.hidden = false;
  const nodes: Node[] = [el(doc, 'p', rateSentence(ctx, r), { class: 'rate', id: 'rate' })];
  if (r.undecided > 0 && r.sampleSize > 0) {
    nodes.push(el(doc, 'p', t('sampling_undecided', String(r.undecided)), { class: 'hint' }));
  }
  nodes.push(
    table(
      ctx,
      t('sampling_verdictsCaption'),
      [t('sampling_colVerdict'), t('sampling_colCount')],
      [
        ...verdictNames.map((v) => [t(`sampling_verdict_${v}`), String(r.verdicts[v])]),
        [t('sampling_verdictNone'), String(r.undecided)],
      ],
    ),
  );
  nodes.push(
    table(
      ctx,
      t('sampling_statusCaption'),
      [t('sampling_colStatus'), t('sampling_colAutomatic'), t('sampling_colRetained')],
      statusNames.map((s) => [
        t(`sampling_status_${s}`),
        String(r.automatic.counts[s]),
        String(r.retained[s]),
      ]),
    ),
  );
  const a = r.automatic;
  const dl = el(doc, 'dl');
  const item = (k: string, v: string) => dl.append(el(doc, 'dt', t(k)), el(doc, 'dd', v));
  item(
    'sampling_autoRate',
    a.complianceRate === null
      ? t('sampling_notComputable')
      : `${percent(a.complianceRate, ctx.locale)} (${a.counts.answered_in_time}/${a.decided})`,
  );
  item(
    'sampling_median',
    a.medianDelayDays === null ? '—' : t('sampling_delayDays', String(a.medianDelayDays)),
  );
  item('sampling_p90', a.p90DelayDays === null ? '—' : t('sampling_delayDays', String(a.p90DelayDays)));
  nodes.push(dl);
  nodes.push(el(doc, 'h3', t('sampling_disagreementsHeading', String(r.disagreements.length))));
  if (r.disagreements.length === 0) {
    nodes.push(el(doc, 'p', t('sampling_noDisagreement'), { class: 'hint' }));
  } else {
    const index = new Map(rows.map((row, i) => [row.key, { row, n: i + 1 }]));
    nodes.push(
      table(
        ctx,
        t('sampling_disagreementsCaption'),
        [
          t('sampling_colIndex'),
          t('sampling_colReceived'),
          t('sampling_colStatus'),
          t('sampling_colExpected'),
          t('sampling_colVerdict'),
          t('sampling_colOverride'),
          t('sampling_colComment'),
        ],
        r.disagreements.map((d) => {
          const at = index.get(d.key);
          return [
            String(at?.n ?? '?'),
            at ? formatTime(at.row.at, ctx) : '',
            t(`sampling_status_${d.automatic}`),
            t(`sampling_verdict_${d.expected}`),
            t(`sampling_verdict_${d.verdict}`),
            d.override ? `${t(`sampling_status_${d.override.status}`)} — ${d.override.reason}` : '',
            d.comment ?? '',
          ];
        }),
      ),
    );
  }
  out.replaceChildren(...nodes);
}

export function renderSaved(ctx: ViewContext, saves: readonly SavedSpotCheck[]): void {
  const { doc, t } = ctx;
  const out = doc.getElementById('saved');
  if (!out) return;
  if (saves.length === 0) {
    out.replaceChildren(el(doc, 'p', t('sampling_noSaved'), { class: 'hint' }));
    return;
  }
  const list = el(doc, 'ul', undefined, { class: 'saved-list' });
  for (const s of saves) {
    const li = el(doc, 'li');
    li.append(
      el(
        doc,
        'span',
        t('sampling_savedItem', [
          s.request.balf,
          formatDay(s.request.from, ctx.locale),
          formatDay(s.request.to, ctx.locale),
          s.request.seed,
          String(s.revision),
          formatTime(s.savedAt, ctx),
        ]),
      ),
      el(doc, 'button', t('sampling_reopen'), {
        type: 'button',
        'data-reopen': s.checkId,
        'aria-label': t('sampling_reopenFor', [s.request.balf, s.request.from, s.request.to]),
      }),
    );
    list.append(li);
  }
  out.replaceChildren(list);
}

// Popup rendering: today's and this week's counts per BALF, pending and overdue vs the primary target, how
// many received messages still wait for their headers (figures provisional), the quota use when at 80 % or
// more, and the oldest messages « à traiter ».
import type { StorageUse } from '../quota.ts';
import type { Answers } from '../runtime-messages.ts';
import { el, uiLocale, type GetMessage } from '../i18n.ts';
import { renderWaiting, type OpenMessage } from './waiting-view.ts';

/**
 * The storage line of a BALF: only at 80 % or more (core's `storageBand`, the rule of the server and the
 * dashboard), with the guide's advice; nothing below, nor for a quota unknown (never shown as 0 %).
 */
function storageLine(doc: Document, t: GetMessage, use: StorageUse | null): HTMLElement | null {
  if (use === null || use.band === 'ok') return null;
  const percent = use.percent.toLocaleString(uiLocale(t), { maximumFractionDigits: 1 });
  const key =
    use.band === 'full'
      ? 'popupStorageFull'
      : use.band === 'critical'
        ? 'popupStorageCritical'
        : 'popupStorageWarning';
  return el(doc, 'p', t(key, percent), { class: `storage ${use.band} alert`, role: 'status' });
}

export function renderPopup(
  doc: Document,
  t: GetMessage,
  data: Answers['popup/summary'],
  open?: OpenMessage,
): void {
  const main = doc.getElementById('balfs');
  if (!main) return;
  main.replaceChildren();
  if (!data.configured && data.balfs.length === 0) {
    main.append(el(doc, 'p', t('popupNotConfigured'), { role: 'status' }));
    return;
  }
  for (const b of data.balfs) {
    const section = el(doc, 'section', undefined, { 'aria-labelledby': `balf-${b.balf}` });
    section.append(el(doc, 'h2', b.balf, { id: `balf-${b.balf}` }));
    const table = el(doc, 'table');
    table.append(el(doc, 'caption', t('popupCountsCaption')));
    const head = el(doc, 'tr');
    head.append(
      el(doc, 'td'),
      el(doc, 'th', t('popupToday'), { scope: 'col' }),
      el(doc, 'th', t('popupWeek'), { scope: 'col' }),
    );
    const received = el(doc, 'tr');
    received.append(
      el(doc, 'th', t('popupReceived'), { scope: 'row' }),
      el(doc, 'td', String(b.today.received)),
      el(doc, 'td', String(b.week.received)),
    );
    const sent = el(doc, 'tr');
    sent.append(
      el(doc, 'th', t('popupSent'), { scope: 'row' }),
      el(doc, 'td', String(b.today.sent)),
      el(doc, 'td', String(b.week.sent)),
    );
    table.append(head, received, sent);
    const delays = el(doc, 'p', undefined, { class: 'delays' });
    delays.append(
      el(doc, 'span', t('popupPending', String(b.pending)), { class: 'pending' }),
      doc.createTextNode(' · '),
      el(doc, 'span', t('popupOverdue', String(b.overdue)), {
        class: b.overdue > 0 ? 'overdue alert' : 'overdue',
      }),
    );
    section.append(table, delays);
    const storage = storageLine(doc, t, b.storage);
    if (storage) section.append(storage);
    if (b.unrefined > 0) {
      // Until every received message is classified with its headers, its counts and delays may still change.
      const text = b.unrefined === 1 ? t('popupRefiningOne') : t('popupRefining', String(b.unrefined));
      section.append(el(doc, 'p', text, { class: 'refining hint', role: 'status' }));
    }
    section.append(renderWaiting(doc, t, b.balf, b.waiting, b.waitingTotal, open));
    main.append(section);
  }
  const target = doc.getElementById('target');
  if (target)
    target.textContent = t('popupTarget', [data.primaryTarget.label, String(data.primaryTarget.workingDays)]);
}

// Popup « À traiter » of one BALF: its oldest waiting usager messages, each a button that opens the
// message in Thunderbird, with its age in working days, its due day and a mark when due or late.
import { el, formatDay, uiLocale, type GetMessage } from '../i18n.ts';
import type { OpenResult } from '../sampling/thunderbird.ts';
import type { WaitingMessage } from '../waiting.ts';

export type OpenMessage = (headerMessageId: string) => Promise<OpenResult>;

const MARKS: Record<WaitingMessage['bucket'], string | null> = {
  inTime: null,
  dueSoon: 'popupMarkDueSoon',
  overdue: 'popupMarkOverdue',
};

function item(doc: Document, t: GetMessage, m: WaitingMessage, open: OpenMessage | undefined): HTMLLIElement {
  const li = el(doc, 'li', undefined, { class: `waiting-item ${m.bucket}` });
  const button = el(doc, 'button', undefined, { type: 'button', class: 'open-message' });
  const mark = MARKS[m.bucket];
  if (mark) button.append(el(doc, 'strong', t(mark), { class: `mark ${m.bucket}` }), doc.createTextNode(' '));
  button.append(
    el(doc, 'span', m.subject || t('popupNoSubject'), { class: 'subject' }),
    el(doc, 'span', m.correspondent ?? '—', { class: 'correspondent' }),
    el(
      doc,
      'span',
      t(m.ageDays === 0 ? 'popupAgeZero' : m.ageDays === 1 ? 'popupAgeOne' : 'popupAge', [
        String(m.ageDays),
        formatDay(m.dueOn, uiLocale(t)),
      ]),
      { class: 'age' },
    ),
  );
  const status = el(doc, 'span', undefined, { class: 'open-status', role: 'status' });
  button.addEventListener('click', () => {
    if (!open) return;
    status.textContent = '';
    open(m.headerMessageId)
      .then((result) => {
        if (result === 'not-found') status.textContent = t('popupMessageNotFound');
      })
      .catch((error: unknown) => {
        status.textContent = t('errorGeneric', error instanceof Error ? error.message : String(error));
      });
  });
  li.append(button, status);
  return li;
}

/** The « À traiter » part of a BALF's section: `waiting` holds the oldest of `total` waiting messages. */
export function renderWaiting(
  doc: Document,
  t: GetMessage,
  balf: string,
  waiting: readonly WaitingMessage[],
  total: number,
  open?: OpenMessage,
): HTMLElement {
  const id = `waiting-${balf}`;
  const part = el(doc, 'section', undefined, { class: 'waiting', 'aria-labelledby': id });
  part.append(el(doc, 'h3', t('popupWaitingTitle', String(total)), { id }));
  if (total === 0) {
    part.append(el(doc, 'p', t('popupWaitingNone'), { class: 'hint' }));
    return part;
  }
  const list = el(doc, 'ol');
  for (const m of waiting) list.append(item(doc, t, m, open));
  part.append(list);
  if (total > waiting.length)
    part.append(el(doc, 'p', t('popupWaitingMore', String(total - waiting.length)), { class: 'hint' }));
  return part;
}

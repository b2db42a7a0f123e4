// Options page rendering: effective configuration with its source, errors, scan/upload state,
// and the local-value form (managed keys are shown read-only).
import { configKeys, type ConfigKey } from '../config-keys.ts';
import { el, formatInstant, type GetMessage } from '../i18n.ts';
import type { OptionsState } from '../runtime-messages.ts';

/** How each key is edited in the form. */
export const fieldKinds: Record<ConfigKey, 'text' | 'list' | 'number' | 'boolean' | 'json' | 'secret'> = {
  endpoint: 'text',
  token: 'secret',
  secret: 'secret',
  balfs: 'list',
  balfPattern: 'text',
  internalDomains: 'list',
  region: 'text',
  department: 'text',
  targets: 'json',
  primaryTarget: 'text',
  backfillDays: 'number',
  uploadIntervalMinutes: 'number',
  logLevel: 'text',
  whitMondayWorked: 'boolean',
  allowSpotCheckUpload: 'boolean',
  notifyDue: 'boolean',
};

export function display(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderState(doc: Document, t: GetMessage, s: OptionsState): void {
  const managed = doc.getElementById('managed-note');
  if (managed) managed.textContent = t(s.managed ? 'optionsManaged' : 'optionsNotManaged');

  const body = doc.getElementById('config-rows');
  if (body) {
    body.replaceChildren();
    for (const key of configKeys) {
      const tr = el(doc, 'tr');
      tr.append(
        el(doc, 'th', t(`key_${key}`), { scope: 'row' }),
        el(doc, 'td', display(s.values[key])),
        el(doc, 'td', t(`source_${s.sources[key]}`.replace('-', '_'))),
      );
      body.append(tr);
    }
  }

  const errors = doc.getElementById('config-errors');
  if (errors) {
    errors.replaceChildren();
    const list = el(doc, 'ul');
    for (const e of s.errors)
      list.append(
        el(doc, 'li', t('optionsConfigError', [t(`key_${e.key}`), t(`source_${e.source}`), e.reason])),
      );
    errors.append(s.errors.length ? list : el(doc, 'p', t('optionsNoConfigError')));
  }

  const status = doc.getElementById('status');
  if (status) {
    status.replaceChildren();
    const dl = el(doc, 'dl');
    const add = (term: string, value: string) => dl.append(el(doc, 'dt', term), el(doc, 'dd', value));
    add(t('optionsBalfAccounts'), s.balfAccounts.map((a) => a.balf).join(', ') || t('optionsNone'));
    add(t('optionsLastScan'), s.lastScan ? formatInstant(s.lastScan.at) : t('optionsNever'));
    if (s.lastScan?.errors.length) add(t('optionsScanErrors'), s.lastScan.errors.join(' ; '));
    const u = s.lastUpload;
    add(
      t('optionsLastUpload'),
      u
        ? `${formatInstant(u.at)} — ${t(`upload_${u.result}`)}${u.message && u.message !== 'not-configured' ? ` (${u.message})` : ''}${u.message === 'not-configured' ? ` (${t('uploadNotConfigured')})` : ''}`
        : t('optionsNever'),
    );
    if (s.notBefore) add(t('optionsNextAttempt'), formatInstant(s.notBefore));
    add(t('optionsQueue'), String(s.queue));
    add(t('optionsLedger'), String(s.ledger));
    status.append(dl);
    if (s.finalBatches.length) {
      status.append(el(doc, 'h3', t('optionsFinalBatches')));
      const ul = el(doc, 'ul');
      for (const b of s.finalBatches)
        ul.append(el(doc, 'li', t('optionsFinalBatch', [b.balf, String(b.records), b.lastError ?? ''])));
      status.append(ul);
    }
    if (s.evictions.length) {
      status.append(el(doc, 'h3', t('optionsEvictions')));
      const ul = el(doc, 'ul', undefined, { class: 'alert' });
      for (const e of s.evictions)
        ul.append(
          el(
            doc,
            'li',
            t('optionsEviction', [
              formatInstant(e.at),
              String(e.count),
              formatInstant(e.oldest),
              formatInstant(e.newest),
            ]),
          ),
        );
      status.append(ul);
    }
  }
}

/** Builds the local-values form; keys set by policy are disabled. */
export function renderForm(doc: Document, t: GetMessage, s: OptionsState): void {
  const form = doc.getElementById('local-form');
  const fields = doc.getElementById('local-fields');
  if (!form || !fields) return;
  fields.replaceChildren();
  for (const key of configKeys) {
    const kind = fieldKinds[key];
    const id = `field-${key}`;
    const wrap = el(doc, 'div', undefined, { class: 'field' });
    const label = el(doc, 'label', t(`key_${key}`), { for: id });
    const current = s.local[key];
    const locked = s.sources[key] === 'managed';
    let input: HTMLInputElement | HTMLTextAreaElement;
    if (kind === 'json') {
      input = el(doc, 'textarea', current === undefined ? '' : JSON.stringify(current), {
        id,
        name: key,
        rows: '3',
      });
    } else {
      input = el(doc, 'input', undefined, { id, name: key });
      input.type =
        kind === 'boolean'
          ? 'checkbox'
          : kind === 'number'
            ? 'number'
            : kind === 'secret'
              ? 'password'
              : 'text';
      if (kind === 'boolean') input.checked = current === true;
      else if (current !== undefined)
        input.value = Array.isArray(current) ? current.join(', ') : String(current);
    }
    input.disabled = locked;
    const hint = el(doc, 'span', t(locked ? 'optionsLockedHint' : `hint_${kind}`), {
      class: 'hint',
      id: `${id}-hint`,
    });
    input.setAttribute('aria-describedby', hint.id);
    if (kind === 'boolean') wrap.append(input, label, hint);
    else wrap.append(label, input, hint);
    fields.append(wrap);
  }
}

/** Reads the form into raw local values (validation happens in the background, per key). */
export function readForm(form: HTMLFormElement): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of configKeys) {
    const input = form.elements.namedItem(key) as HTMLInputElement | HTMLTextAreaElement | null;
    if (!input || input.disabled) continue;
    const kind = fieldKinds[key];
    if (kind === 'boolean') {
      values[key] = (input as HTMLInputElement).checked;
      continue;
    }
    const raw = input.value.trim();
    if (raw === '') continue;
    if (kind === 'list') values[key] = raw.split(/[,\s;]+/).filter(Boolean);
    else if (kind === 'number') values[key] = Number(raw);
    else if (kind === 'json') {
      try {
        values[key] = JSON.parse(raw) as unknown;
      } catch {
        values[key] = raw; // rejected by the schema, and reported with the key
      }
    } else values[key] = raw;
  }
  return values;
}

// Page localisation: every visible string comes from _locales through messenger.i18n.
export type GetMessage = (name: string, substitutions?: string | string[]) => string;

/** Fills `data-i18n` (text), `data-i18n-title`, `data-i18n-aria-label` and `data-i18n-placeholder`. */
export function localize(root: ParentNode, t: GetMessage): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset['i18n'] ?? '');
  }
  for (const [attr, data] of [
    ['title', 'i18nTitle'],
    ['aria-label', 'i18nAriaLabel'],
    ['placeholder', 'i18nPlaceholder'],
  ] as const) {
    for (const el of root.querySelectorAll<HTMLElement>(
      `[data-${attr === 'aria-label' ? 'i18n-aria-label' : `i18n-${attr}`}]`,
    )) {
      el.setAttribute(attr, t(el.dataset[data] ?? ''));
    }
  }
}

/** Creates an element with text, for building lists and tables without innerHTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** Date and time in French (or the UI language), for status lines. */
export function formatInstant(iso: string | undefined | null, locale = 'fr-FR'): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' });
}

/** The UI language's locale for dates and numbers (the catalogue's `sampling_locale`); French if unusable. */
export function uiLocale(t: GetMessage): string {
  try {
    return Intl.getCanonicalLocales(t('sampling_locale'))[0] ?? 'fr-FR';
  } catch {
    return 'fr-FR';
  }
}

/** A local day (YYYY-MM-DD) as a date of the UI language (`locale`, see `uiLocale`). */
export function formatDay(day: string, locale = 'fr-FR'): string {
  const d = new Date(`${day}T12:00:00Z`);
  return Number.isNaN(d.getTime())
    ? day
    : d.toLocaleDateString(locale, { dateStyle: 'medium', timeZone: 'UTC' });
}

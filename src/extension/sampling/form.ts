// The draw form: filled from the configuration (BALFs, targets) and the page URL, read back into a
// validated draw request. Invalid input becomes a French message, never a half-made draw.
import type { Target } from '../../core/targets.ts';
import { el, type GetMessage } from '../i18n.ts';
import type { DrawRequest } from './draw.ts';
import { isPeriodPreset, periodDays, type PeriodPreset } from './period.ts';

export interface FormSetup {
  balfs: readonly string[];
  targets: readonly Target[];
  primaryTargetId: string;
  seed: string;
}

export class FormError extends Error {
  constructor(
    readonly i18nKey: string,
    readonly substitutions: string[] = [],
  ) {
    super(i18nKey);
    this.name = 'FormError';
  }
}

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const node = doc.getElementById(id);
  if (!node) throw new Error(`élément #${id} absent de la page`);
  return node as T;
}

export function setupForm(doc: Document, t: GetMessage, setup: FormSetup): void {
  const balf = byId<HTMLSelectElement>(doc, 'balf');
  balf.replaceChildren(...setup.balfs.map((b) => el(doc, 'option', b, { value: b })));
  const target = byId<HTMLSelectElement>(doc, 'target');
  target.replaceChildren(
    ...setup.targets.map((x) => {
      const o = el(doc, 'option', t('sampling_targetOption', [x.label, String(x.workingDays)]), {
        value: x.id,
      });
      o.selected = x.id === setup.primaryTargetId;
      return o;
    }),
  );
  byId<HTMLInputElement>(doc, 'seed').value = setup.seed;
  syncVisibility(doc);
}

/** Shows the custom dates only for "personnalisée", and the size or the margin field. */
export function syncVisibility(doc: Document): void {
  const preset = checked(doc, 'period');
  byId(doc, 'custom-dates').hidden = preset !== 'custom';
  const kind = checked(doc, 'sizeKind');
  byId(doc, 'count-field').hidden = kind !== 'count';
  byId(doc, 'margin-field').hidden = kind !== 'margin';
}

function checked(doc: Document, name: string): string {
  return doc.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? '';
}

function check(doc: Document, name: string, value: string): void {
  // Every radio of the group is set explicitly (some DOMs do not uncheck the others on their own).
  for (const input of doc.querySelectorAll<HTMLInputElement>(`input[name="${name}"]`)) {
    input.checked = input.value === value;
  }
}

/**
 * Pre-fills from `?balf=&period=&from=&to=&target=&n=|margin=&stratify=1&seed=` (a saved link or a test).
 * Returns how many draws to make at once: `draw=1` one, `draw=N` N in a row (at most 5; the benchmark
 * times a draw on a cold then a warm ledger), none otherwise.
 */
export function applyParams(doc: Document, params: URLSearchParams): number {
  const set = (id: string, key: string) => {
    const v = params.get(key);
    if (v !== null) byId<HTMLInputElement | HTMLSelectElement>(doc, id).value = v;
  };
  set('balf', 'balf');
  set('target', 'target');
  set('seed', 'seed');
  set('from', 'from');
  set('to', 'to');
  const period = params.get('period');
  if (period !== null && isPeriodPreset(period)) check(doc, 'period', period);
  if (params.has('margin')) {
    check(doc, 'sizeKind', 'margin');
    set('margin', 'margin');
  } else if (params.has('n')) {
    check(doc, 'sizeKind', 'count');
    set('count', 'n');
  }
  if (params.has('stratify'))
    byId<HTMLInputElement>(doc, 'stratify').checked = params.get('stratify') === '1';
  syncVisibility(doc);
  const draws = Number(params.get('draw'));
  return Number.isInteger(draws) && draws > 0 ? Math.min(draws, MAX_AUTOMATIC_DRAWS) : 0;
}

const MAX_AUTOMATIC_DRAWS = 5;

export interface FormValues {
  preset: PeriodPreset;
  request: DrawRequest;
}

/** Reads and validates the form; `today` is the local day of the service's region. */
export function readForm(doc: Document, targets: readonly Target[], today: string): FormValues {
  const balf = byId<HTMLSelectElement>(doc, 'balf').value;
  if (!balf) throw new FormError('sampling_errorNoBalf');
  const preset = checked(doc, 'period');
  if (!isPeriodPreset(preset)) throw new FormError('sampling_errorPeriod');
  let period;
  try {
    period = periodDays(
      preset,
      today,
      preset === 'custom'
        ? { from: byId<HTMLInputElement>(doc, 'from').value, to: byId<HTMLInputElement>(doc, 'to').value }
        : undefined,
    );
  } catch {
    throw new FormError('sampling_errorCustomDates');
  }
  const target = targets.find((x) => x.id === byId<HTMLSelectElement>(doc, 'target').value);
  if (!target) throw new FormError('sampling_errorTarget');
  const seed = byId<HTMLInputElement>(doc, 'seed').value.trim();
  if (seed === '' || seed.length > 64) throw new FormError('sampling_errorSeed');
  let size: DrawRequest['size'];
  if (checked(doc, 'sizeKind') === 'margin') {
    const points = Number(byId<HTMLInputElement>(doc, 'margin').value);
    if (!Number.isFinite(points) || points < 1 || points > 50) throw new FormError('sampling_errorMargin');
    size = { kind: 'margin', margin: points / 100 };
  } else {
    const n = Number(byId<HTMLInputElement>(doc, 'count').value);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new FormError('sampling_errorCount');
    size = { kind: 'count', n };
  }
  return {
    preset,
    request: {
      balf,
      from: period.from,
      to: period.to,
      seed,
      size,
      stratifyByWeek: byId<HTMLInputElement>(doc, 'stratify').checked,
      target: { id: target.id, label: target.label, workingDays: target.workingDays },
    },
  };
}

/**
 * Puts a saved request back into the form (reopening a saved spot-check). The period becomes
 * "personnalisée" with the saved days: "semaine dernière" means other days today.
 */
export function fillForm(doc: Document, req: DrawRequest): void {
  byId<HTMLSelectElement>(doc, 'balf').value = req.balf;
  check(doc, 'period', 'custom');
  byId<HTMLInputElement>(doc, 'from').value = req.from;
  byId<HTMLInputElement>(doc, 'to').value = req.to;
  byId<HTMLSelectElement>(doc, 'target').value = req.target.id;
  byId<HTMLInputElement>(doc, 'seed').value = req.seed;
  byId<HTMLInputElement>(doc, 'stratify').checked = req.stratifyByWeek;
  if (req.size.kind === 'margin') {
    check(doc, 'sizeKind', 'margin');
    byId<HTMLInputElement>(doc, 'margin').value = String(Math.round(req.size.margin * 100));
  } else {
    check(doc, 'sizeKind', 'count');
    byId<HTMLInputElement>(doc, 'count').value = String(req.size.n);
  }
  syncVisibility(doc);
}

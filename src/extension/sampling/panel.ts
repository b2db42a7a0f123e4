// The sampling panel's controller: draw, verdicts, results, save (audit trail), CSV, print, upload,
// reopen, and opening messages in Thunderbird. Platform APIs come in through `PanelDeps`.
import { todayIn } from '../../core/calendar.ts';
import type { Config } from '../config.ts';
import type { GetMessage } from '../i18n.ts';
import type { Ledger } from '../ledger.ts';
import type { Clock } from '../platform.ts';
import { newVersion, drawOf, type AuditTrail, type SavedSpotCheck } from './audit.ts';
import { drawFromLedger, type Draw } from './draw.ts';
import { csvFilename, spotCheckCsv, summaryOf, uploadSummary, type ClientInfo } from './export.ts';
import { applyParams, fillForm, FormError, readForm, setupForm, syncVisibility } from './form.ts';
import type { PeriodPreset } from './period.ts';
import { cleanDecision, computeResults, type Decision } from './results.ts';
import { renderResults, renderSaved } from './results-view.ts';
import { formatTime, renderSample, type ViewContext } from './sample-view.ts';
import type { OpenResult } from './thunderbird.ts';
import { traceLine } from './trace.ts';

export { SAMPLING_MARKER } from './trace.ts';

export interface PanelDeps {
  doc: Document;
  t: GetMessage;
  config: Config;
  /** BALFs the chef may pick (configured ones that this workstation sees). */
  balfs: readonly string[];
  ledger: Ledger;
  audit: AuditTrail;
  openMessage: (headerMessageId: string) => Promise<OpenResult>;
  clock: Clock;
  uuid: () => string;
  newSeed: () => string;
  fetch: typeof fetch;
  client: () => Promise<ClientInfo>;
  download: (filename: string, text: string) => void;
  print: () => void;
  /** Machine-readable line after each draw (console.info when the log level is debug). */
  trace?: (line: string) => void;
}

export class SamplingPanel {
  draw: Draw | null = null;
  preset: PeriodPreset = 'last-week';
  decisions: Record<string, Decision> = {};
  /** The saved version the current state starts from (null: never saved). */
  saved: SavedSpotCheck | null = null;
  dirty = false;
  private readonly view: ViewContext;

  constructor(private readonly deps: PanelDeps) {
    this.view = {
      doc: deps.doc,
      t: deps.t,
      region: deps.config.region,
      locale: deps.t('sampling_locale') || 'fr-FR',
    };
  }

  /** Fills the form, wires the events, lists saved spot-checks; draws at once when the URL asks. */
  async init(params: URLSearchParams): Promise<void> {
    const { doc, config } = this.deps;
    setupForm(doc, this.deps.t, {
      balfs: this.deps.balfs,
      targets: config.targets,
      primaryTargetId: config.primaryTarget.id,
      seed: this.deps.newSeed(),
    });
    doc.getElementById('upload')?.toggleAttribute('hidden', !this.uploadAllowed());
    this.wire();
    await this.refreshSaved();
    if (this.deps.balfs.length === 0) this.feedback(this.deps.t('sampling_noBalf'));
    for (let n = applyParams(doc, params); n > 0; n--) await this.drawNow();
  }

  private uploadAllowed(): boolean {
    const c = this.deps.config;
    return c.allowSpotCheckUpload && c.endpoint !== undefined && c.token !== undefined;
  }

  private wire(): void {
    const { doc } = this.deps;
    const form = doc.getElementById('draw-form') as HTMLFormElement | null;
    form?.addEventListener('change', (e) => {
      if ((e.target as HTMLInputElement).type === 'radio') syncVisibility(doc);
    });
    form?.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.guard(() => this.drawNow());
    });
    doc.getElementById('new-seed')?.addEventListener('click', () => {
      (doc.getElementById('seed') as HTMLInputElement).value = this.deps.newSeed();
    });
    const table = doc.getElementById('sample-table');
    table?.addEventListener('change', (e) => this.onDecisionInput(e.target as HTMLElement));
    table?.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-open]');
      if (button) void this.guard(() => this.open(button.dataset['key'] ?? '', button.dataset['open'] ?? ''));
    });
    doc
      .getElementById('save')
      ?.addEventListener('click', () => void this.guard(async () => void (await this.save())));
    doc
      .getElementById('export-csv')
      ?.addEventListener('click', () => void this.guard(() => this.exportCsv()));
    doc.getElementById('print')?.addEventListener('click', () => this.deps.print());
    doc.getElementById('upload')?.addEventListener('click', () => void this.guard(() => this.upload()));
    doc.getElementById('saved')?.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-reopen]');
      if (button) void this.guard(() => this.reopen(button.dataset['reopen'] ?? ''));
    });
  }

  /** Runs an action and turns its failure into a message in the live region. */
  async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const { t } = this.deps;
      this.feedback(
        error instanceof FormError
          ? t(error.i18nKey, error.substitutions)
          : t('errorGeneric', error instanceof Error ? error.message : String(error)),
      );
    }
  }

  feedback(text: string): void {
    const out = this.deps.doc.getElementById('feedback');
    if (out) out.textContent = text;
  }

  async drawNow(): Promise<void> {
    const { config } = this.deps;
    const started = performance.now();
    const now = this.deps.clock();
    const { preset, request } = readForm(this.deps.doc, config.targets, todayIn(config.region, now));
    this.feedback(this.deps.t('sampling_drawing'));
    const timing = { readMs: 0, refsMs: 0, drawMs: 0 };
    const draw = await drawFromLedger(
      this.deps.ledger,
      request,
      { region: config.region, whitMondayWorked: config.whitMondayWorked, now },
      timing,
    );
    const drawn = performance.now();
    this.preset = preset;
    this.draw = draw;
    this.decisions = {};
    this.saved = null;
    this.dirty = draw.rows.length > 0;
    this.render();
    this.feedback(this.deps.t('sampling_drawn', [String(draw.rows.length), String(draw.population)]));
    const end = performance.now();
    this.deps.trace?.(
      traceLine(draw, {
        ms: Math.round(end - started),
        readMs: timing.readMs,
        refsMs: timing.refsMs,
        drawMs: timing.drawMs,
        renderMs: Math.round(end - drawn),
      }),
    );
  }

  render(): void {
    if (!this.draw) return;
    renderSample(this.view, this.draw, this.decisions);
    this.renderResults();
  }

  private renderResults(): void {
    if (!this.draw) return;
    const hasRows = this.draw.rows.length > 0;
    const section = this.deps.doc.getElementById('results-section');
    if (!hasRows) {
      if (section) section.hidden = true;
      return;
    }
    renderResults(this.view, computeResults(this.draw.rows, this.decisions), this.draw.rows);
    const info = this.deps.doc.getElementById('save-info');
    if (info) {
      info.textContent = this.saved
        ? this.deps.t(this.dirty ? 'sampling_unsavedChanges' : 'sampling_savedAs', [
            String(this.saved.revision),
            formatTime(this.saved.savedAt, this.view),
          ])
        : this.deps.t('sampling_notSaved');
    }
  }

  /** A verdict, comment or correction input changed: update the decision and the results. */
  onDecisionInput(target: HTMLElement): void {
    const key = target.dataset['key'];
    const field = target.dataset['field'];
    if (!key || !field || !this.draw) return;
    const current: Decision = { ...(this.decisions[key] ?? {}) };
    const value = (target as HTMLInputElement | HTMLSelectElement).value;
    const row = target.closest('tr');
    if (field === 'verdict') {
      if (value === '') delete current.verdict;
      else current.verdict = value as NonNullable<Decision['verdict']>;
    } else if (field === 'comment') {
      current.comment = value;
    } else if (field === 'override' || field === 'reason') {
      const status = (row?.querySelector<HTMLSelectElement>('[data-field="override"]')?.value ?? '') as
        NonNullable<Decision['override']>['status'] | '';
      const reasonInput = row?.querySelector<HTMLInputElement>('[data-field="reason"]');
      if (reasonInput) reasonInput.hidden = status === '';
      if (status === '') delete current.override;
      else current.override = { status, reason: reasonInput?.value ?? '' };
      if (field === 'override' && status !== '') reasonInput?.focus();
    }
    this.decisions[key] = current;
    this.dirty = true;
    this.renderResults();
  }

  /** Appends a new version to the audit trail (never edits an older one). */
  async save(): Promise<SavedSpotCheck> {
    if (!this.draw || this.draw.rows.length === 0) throw new FormError('sampling_errorNothingToSave');
    const cleaned: Record<string, Decision> = {};
    for (const [key, d] of Object.entries(this.decisions)) {
      try {
        cleaned[key] = cleanDecision(d);
      } catch {
        const n = this.draw.rows.findIndex((r) => r.key === key) + 1;
        throw new FormError('sampling_errorOverrideReason', [String(n)]);
      }
    }
    const version = newVersion(this.draw, cleaned, {
      previous: this.saved,
      preset: this.preset,
      region: this.deps.config.region,
      whitMondayWorked: this.deps.config.whitMondayWorked,
      now: this.deps.clock(),
      uuid: this.deps.uuid,
    });
    await this.deps.audit.append({ kind: 'save', spotCheck: version });
    this.saved = version;
    this.decisions = structuredClone(cleaned);
    this.dirty = false;
    this.renderResults();
    await this.refreshSaved();
    this.feedback(this.deps.t('sampling_saved', String(version.revision)));
    return version;
  }

  private async current(): Promise<SavedSpotCheck> {
    return this.saved && !this.dirty ? this.saved : this.save();
  }

  async exportCsv(): Promise<void> {
    const saved = await this.current();
    this.deps.download(csvFilename(saved), spotCheckCsv(saved));
  }

  async upload(): Promise<void> {
    const { config, t } = this.deps;
    if (!this.uploadAllowed() || config.endpoint === undefined || config.token === undefined) {
      throw new FormError('sampling_errorUploadNotAllowed');
    }
    const saved = await this.current();
    const summary = summaryOf(saved, await this.deps.client());
    this.feedback(t('sampling_uploading'));
    const outcome = await uploadSummary(this.deps.fetch, config.endpoint, config.token, summary);
    await this.deps.audit.append({
      kind: 'upload',
      checkId: saved.checkId,
      revision: saved.revision,
      id: summary.id,
      at: this.deps.clock().toISOString(),
      ...outcome,
    });
    this.feedback(
      outcome.result === 'ok'
        ? t('sampling_uploaded')
        : t('sampling_uploadFailed', `${outcome.status ?? ''} ${outcome.message ?? ''}`.trim()),
    );
  }

  async reopen(checkId: string): Promise<void> {
    const saved = (await this.deps.audit.latestSaves()).find((s) => s.checkId === checkId);
    if (!saved) throw new FormError('sampling_errorUnknownCheck');
    this.saved = saved;
    this.preset = saved.preset;
    this.draw = drawOf(saved);
    this.decisions = structuredClone(saved.decisions) as Record<string, Decision>;
    this.dirty = false;
    fillForm(this.deps.doc, saved.request);
    this.render();
    this.feedback(this.deps.t('sampling_reopened', String(saved.revision)));
  }

  async open(key: string, which: string): Promise<void> {
    const row = this.draw?.rows.find((r) => r.key === key);
    if (!row) return;
    const id = which === 'reply' ? row.reply?.headerMessageId : row.headerMessageId;
    const status = [...this.deps.doc.querySelectorAll<HTMLElement>('[data-open-status]')].find(
      (node) => node.dataset['openStatus'] === key,
    );
    const result: OpenResult = id ? await this.deps.openMessage(id) : 'not-found';
    const text = result === 'opened' ? '' : this.deps.t('sampling_notFound');
    if (status) status.textContent = text;
    if (text) this.feedback(text);
  }

  async refreshSaved(): Promise<void> {
    renderSaved(this.view, await this.deps.audit.latestSaves());
  }
}

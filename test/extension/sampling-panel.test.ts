// @vitest-environment happy-dom
// The sampling page in happy-dom over fake-indexeddb and the fake messenger: form, table, verdicts,
// results, open in Thunderbird (found / not found), save as new versions, reopen, CSV, upload, empty period.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { drawSample, wilsonInterval } from '../../src/core/sampling.ts';
import type { Config } from '../../src/extension/config.ts';
import { localize } from '../../src/extension/i18n.ts';
import { AuditTrail, openAuditDb } from '../../src/extension/sampling/audit.ts';
import { SamplingPanel, SAMPLING_MARKER } from '../../src/extension/sampling/panel.ts';
import { percent } from '../../src/extension/sampling/results-view.ts';
import { openByMessageId } from '../../src/extension/sampling/thunderbird.ts';
import { FakeMessenger, header } from './fake-messenger.ts';
import { BALF, freshDbName, freshLedger, testConfig } from './helpers.ts';
import { buildLedger, expectedPopulation, NOW, pageBody, tFr } from './sampling-fixtures.ts';

interface Harness {
  panel: SamplingPanel;
  fake: FakeMessenger;
  audit: AuditTrail;
  downloads: { filename: string; text: string }[];
  traces: string[];
  posts: { url: string; body: unknown }[];
}

const fixture = buildLedger(160);

async function setup(params: string, over: Partial<Config> = {}): Promise<Harness> {
  document.body.innerHTML = pageBody();
  localize(document, tFr); // as main.ts does
  const ledger = await freshLedger();
  await ledger.addIfAbsent(fixture.rows);
  const audit = new AuditTrail(await openAuditDb(freshDbName()));
  const fake = new FakeMessenger();
  // The mailbox still holds the received messages, but not their replies (moved away).
  for (const r of fixture.usager) {
    fake.addMessage({
      header: header({ headerMessageId: r.headerMessageId }),
      headers: {},
      accountId: 'account1',
    });
  }
  const h: Harness = {
    panel: null as unknown as SamplingPanel,
    fake,
    audit,
    downloads: [],
    traces: [],
    posts: [],
  };
  let n = 0;
  h.panel = new SamplingPanel({
    doc: document,
    t: tFr,
    config: testConfig(over),
    balfs: [BALF],
    ledger,
    audit,
    openMessage: (id) => openByMessageId(fake.api, id),
    clock: () => NOW,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    newSeed: () => 'NOUVEAU2',
    fetch: (async (url: string, init: RequestInit) => {
      h.posts.push({ url, body: JSON.parse(init.body as string) });
      return new Response('{"replay":false}', { status: 201 });
    }) as unknown as typeof fetch,
    client: async () => ({ id: 'install-1', addon: '0.1.0', thunderbird: '153.0' }),
    download: (filename, text) => h.downloads.push({ filename, text }),
    print: () => undefined,
    trace: (line) => h.traces.push(line),
  });
  await h.panel.init(new URLSearchParams(params));
  return h;
}

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const rowsOfTable = () => [...document.querySelectorAll('#sample-table tbody tr')];

function choose(key: string, field: string, value: string): void {
  const input = [
    ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement>(`[data-field="${field}"]`),
  ].find((x) => x.dataset['key'] === key)!;
  input.value = value;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((r) => setTimeout(r, 5));
}

const LAST_WEEK = 'balf=' + encodeURIComponent(BALF) + '&period=last-week&n=8&seed=PANEL234&draw=1';

describe('panneau de sondage (happy-dom)', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('remplit le formulaire : BALF configurées, objectifs (principal choisi), graine proposée', async () => {
    await setup('');
    expect([...$<HTMLSelectElement>('#balf').options].map((o) => o.value)).toEqual([BALF]);
    expect($<HTMLSelectElement>('#target').value).toBe('marianne-5j');
    expect($<HTMLSelectElement>('#target').options[0]!.textContent).toBe('Marianne (5 jours ouvrés)');
    expect($<HTMLInputElement>('#seed').value).toBe('NOUVEAU2');
    expect($('#sample-section').hidden).toBe(true);
    expect($('#upload').hidden).toBe(true);
  });

  it('tire depuis l’URL : le tableau montre drawSample sur la population, et la trace JSON le dit', async () => {
    const h = await setup(LAST_WEEK);
    const population = expectedPopulation(fixture.rows, '2026-11-16', '2026-11-22');
    const expected = drawSample(population, 8, 'PANEL234', { key: (r) => r.key });
    expect(rowsOfTable().map((tr) => tr.getAttribute('data-row'))).toEqual(expected.map((r) => r.key));
    expect($('#sample-info').textContent).toContain(
      `8 message(s) tiré(s) parmi les ${population.length} courriels`,
    );
    expect($('#sample-info').textContent).toContain('Graine : PANEL234.');
    const first = rowsOfTable()[0]!;
    expect(first.textContent).toContain(expected[0]!.correspondent!);
    expect(h.traces).toHaveLength(1);
    const trace = JSON.parse(h.traces[0]!.slice(SAMPLING_MARKER.length + 1)) as {
      keys: string[];
      population: number;
      ms: number;
      readMs: number;
      drawMs: number;
      renderMs: number;
    };
    expect(trace.keys).toEqual(expected.map((r) => r.key));
    // The panel's own times (what bench:addon reports): measured, non-negative integers; the steps fit in the whole.
    for (const t of [trace.ms, trace.readMs, trace.drawMs, trace.renderMs]) {
      expect(Number.isInteger(t) && t >= 0).toBe(true);
    }
    expect(trace.readMs + trace.drawMs + trace.renderMs).toBeLessThanOrEqual(trace.ms + 2);
    expect(trace.population).toBe(population.length);
    expect($('#rate').textContent).toBe(tFr('sampling_noRateUndecided'));
  });

  it('draw=N tire N fois de suite (le banc mesure un registre froid puis chaud) ; sans draw, aucun tirage', async () => {
    const twice = await setup(LAST_WEEK.replace('draw=1', 'draw=2'));
    expect(twice.traces).toHaveLength(2);
    const keys = twice.traces.map(
      (line) => (JSON.parse(line.slice(SAMPLING_MARKER.length + 1)) as { keys: string[] }).keys,
    );
    expect(keys[1]).toEqual(keys[0]); // same seed, same ledger: the same sample
    const capped = await setup(LAST_WEEK.replace('draw=1', 'draw=40'));
    expect(capped.traces).toHaveLength(5);
    for (const value of ['0', 'oui', '-2', '1.5']) {
      const none = await setup(LAST_WEEK.replace('draw=1', `draw=${value}`));
      expect(none.traces, value).toHaveLength(0);
    }
  });

  it('les verdicts mettent à jour le taux, son intervalle de Wilson et les écarts', async () => {
    const h = await setup(LAST_WEEK);
    const rows = h.panel.draw!.rows;
    choose(rows[0]!.key, 'verdict', 'conforme');
    choose(rows[1]!.key, 'verdict', 'conforme');
    choose(rows[2]!.key, 'verdict', 'non_conforme');
    choose(rows[3]!.key, 'verdict', 'sans_objet');
    const i = wilsonInterval(2, 3);
    expect($('#rate').textContent).toBe(
      tFr('sampling_rate', [
        percent(2 / 3, 'fr-FR'),
        percent(i.lower, 'fr-FR'),
        percent(i.upper, 'fr-FR'),
        '2',
        '3',
      ]),
    );
    const expectedDisagreements = [
      [rows[0]!, 'conforme'],
      [rows[1]!, 'conforme'],
      [rows[2]!, 'non_conforme'],
      [rows[3]!, 'sans_objet'],
    ].filter(([r, v]) => {
      const s = (r as (typeof rows)[number]).status;
      const auto = s === 'answered_in_time' ? 'conforme' : s === 'pending' ? 'sans_objet' : 'non_conforme';
      return auto !== v;
    }).length;
    expect($('#results h3').textContent).toBe(
      tFr('sampling_disagreementsHeading', String(expectedDisagreements)),
    );
  });

  it('ouvre le message dans un onglet ; une réponse absente de la boîte est signalée sans perdre la ligne', async () => {
    const h = await setup(LAST_WEEK);
    const withReply = h.panel.draw!.rows.find((r) => r.reply)!;
    const tr = rowsOfTable().find((x) => x.getAttribute('data-row') === withReply.key)!;
    tr.querySelector<HTMLButtonElement>('button[data-open="message"]')!.click();
    await settle();
    const stored = h.fake.messagesStore.find((m) => m.header.headerMessageId === withReply.headerMessageId)!;
    expect(h.fake.opened).toEqual([{ messageId: stored.header.id, location: 'tab' }]);
    tr.querySelector<HTMLButtonElement>('button[data-open="reply"]')!.click();
    await settle();
    expect(h.fake.opened).toHaveLength(1);
    expect(tr.querySelector('.open-status')!.textContent).toBe(tFr('sampling_notFound'));
    expect($('#feedback').textContent).toBe(tFr('sampling_notFound'));
    expect(tr.textContent).toContain(withReply.correspondent!);
  });

  it('enregistre des versions successives (jamais de modification), puis rouvre la dernière', async () => {
    const h = await setup(LAST_WEEK);
    const key = h.panel.draw!.rows[0]!.key;
    choose(key, 'verdict', 'conforme');
    $<HTMLButtonElement>('#save').click();
    await settle();
    choose(key, 'verdict', 'non_conforme');
    choose(key, 'override', 'overdue');
    $<HTMLButtonElement>('#save').click();
    await settle();
    expect($('#feedback').textContent).toBe(tFr('sampling_errorOverrideReason', '1'));
    choose(key, 'reason', 'relance restée sans suite');
    $<HTMLButtonElement>('#save').click();
    await settle();
    const entries = await h.audit.entries();
    expect(entries.map((e) => (e.kind === 'save' ? e.spotCheck.revision : 0))).toEqual([1, 2]);
    expect(entries[0]!.kind === 'save' && entries[0]!.spotCheck.decisions[key]).toEqual({
      verdict: 'conforme',
    });
    expect($('#saved li').textContent).toContain('version 2');

    await h.panel.drawNow(); // a fresh draw replaces the screen…
    expect(h.panel.decisions).toEqual({});
    $<HTMLButtonElement>('#saved button[data-reopen]').click(); // …and the saved spot-check comes back
    await settle();
    expect(h.panel.saved?.revision).toBe(2);
    expect(h.panel.decisions[key]).toEqual({
      verdict: 'non_conforme',
      override: { status: 'overdue', reason: 'relance restée sans suite' },
    });
    const select = [...document.querySelectorAll<HTMLSelectElement>('[data-field="verdict"]')].find(
      (s) => s.dataset['key'] === key,
    )!;
    expect(select.value).toBe('non_conforme');
    expect($<HTMLInputElement>('#from').value).toBe('2026-11-16');
    expect(document.querySelector<HTMLInputElement>('input[name="period"]:checked')!.value).toBe('custom');
    expect(await h.audit.verify()).toBeNull();
  });

  it('export CSV et envoi du résumé (autorisé par la configuration) : enregistrent d’abord, puis tracent l’envoi', async () => {
    const h = await setup(LAST_WEEK, { allowSpotCheckUpload: true });
    expect($('#upload').hidden).toBe(false);
    choose(h.panel.draw!.rows[0]!.key, 'verdict', 'conforme');
    $<HTMLButtonElement>('#export-csv').click();
    await settle();
    expect(h.downloads).toHaveLength(1);
    expect(h.downloads[0]!.filename).toMatch(/^sondage-.*-v1\.csv$/);
    expect(h.downloads[0]!.text.startsWith('\uFEFFbalf;')).toBe(true);
    $<HTMLButtonElement>('#upload').click();
    await settle();
    expect(h.posts).toHaveLength(1);
    expect(h.posts[0]!.url).toBe('http://127.0.0.1:8080/api/v1/spot-checks');
    expect(h.posts[0]!.body).toMatchObject({
      sampleSize: 8,
      verdicts: { conforme: 1, non_conforme: 0, sans_objet: 0 },
    });
    expect($('#feedback').textContent).toBe(tFr('sampling_uploaded'));
    const kinds = (await h.audit.entries()).map((e) => e.kind);
    expect(kinds).toEqual(['save', 'upload']);
  });

  it('période vide : message clair, pas de tableau ni de résultats ; enregistrement refusé', async () => {
    const h = await setup(
      `balf=${encodeURIComponent(BALF)}&period=custom&from=2027-01-04&to=2027-01-08&n=10&seed=VIDE2345&draw=1`,
    );
    expect($('#sample-info').textContent).toContain('aucun message à sonder');
    expect($('#sample-table').hidden).toBe(true);
    expect($('#results-section').hidden).toBe(true);
    await h.panel.guard(async () => void (await h.panel.save()));
    expect($('#feedback').textContent).toBe(tFr('sampling_errorNothingToSave'));
  });

  it('échantillon plus grand que la population : tout est pris et la page le dit', async () => {
    await setup(
      `balf=${encodeURIComponent(BALF)}&period=custom&from=2026-11-16&to=2026-11-16&n=40&seed=TOUT2345&draw=1`,
    );
    const population = expectedPopulation(fixture.rows, '2026-11-16', '2026-11-16').length;
    expect(rowsOfTable()).toHaveLength(population);
    expect($('#sample-info').textContent).toContain(tFr('sampling_takeAll', ['40', String(population)]));
  });

  it('saisie invalide : message en français, aucun tirage', async () => {
    const h = await setup(
      `balf=${encodeURIComponent(BALF)}&period=custom&from=2026-11-20&to=2026-11-10&seed=X`,
    );
    await h.panel.guard(() => h.panel.drawNow());
    expect($('#feedback').textContent).toBe(tFr('sampling_errorCustomDates'));
    expect(h.panel.draw).toBeNull();
  });

  it('accessibilité : chaque contrôle a un nom accessible et la page n’a pas de script en ligne', async () => {
    await setup(LAST_WEEK);
    const controls = [...document.querySelectorAll<HTMLElement>('input, select, button, textarea')];
    expect(controls.length).toBeGreaterThan(40);
    for (const c of controls) {
      const id = c.getAttribute('id');
      const name =
        c.getAttribute('aria-label') ??
        (id ? document.querySelector(`label[for="${id}"]`)?.textContent : null) ??
        c.closest('label')?.textContent ??
        (c.tagName === 'BUTTON' ? c.textContent : null);
      expect(name?.trim(), c.outerHTML.slice(0, 120)).toBeTruthy();
    }
    expect(document.querySelectorAll('[onclick], [onchange], script:not([src])')).toHaveLength(0);
  });
});

// @vitest-environment happy-dom
// Popup and options pages rendered from background answers: accessible structure, managed keys
// read-only, errors with key and reason, and the form read back as raw local values.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configKeys } from '../../src/extension/config-keys.ts';
import { localize } from '../../src/extension/i18n.ts';
import { readForm, renderForm, renderState } from '../../src/extension/options/options-view.ts';
import { renderPopup } from '../../src/extension/popup/popup-view.ts';
import type { OptionsState } from '../../src/extension/runtime-messages.ts';
import type { WaitingMessage } from '../../src/extension/waiting.ts';
import { storageBand, storagePercent } from '../../src/core/storage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fr = JSON.parse(readFileSync(join(root, 'extension/_locales/fr/messages.json'), 'utf8')) as Record<
  string,
  { message: string }
>;
/** messenger.i18n.getMessage over the French catalogue, with $1…$9 substitutions. */
const t = (name: string, subs?: string | string[]): string => {
  const entry = fr[name];
  if (!entry) throw new Error(`missing message ${name}`);
  const list = ([] as string[]).concat(subs ?? []);
  return entry.message.replace(/\$(\d)/g, (_m, d: string) => list[Number(d) - 1] ?? '');
};

function load(page: 'popup' | 'options'): void {
  const html = readFileSync(join(root, `extension/${page}/${page}.html`), 'utf8');
  document.documentElement.innerHTML = html
    .replace(/^<!doctype html>/i, '')
    .replace(/<\/?html[^>]*>/g, '')
    // The page's own script and stylesheet are not loaded here: the views are driven directly.
    .replace(/<link [^>]*>|<script [^>]*><\/script>/g, '');
  localize(document, t);
}

describe('popup', () => {
  const primaryTarget = { id: 'marianne', label: 'Marianne', workingDays: 5 };
  const quiet = {
    balf: 'sip.test@dgfip.finances.gouv.fr',
    today: { received: 0, sent: 0 },
    week: { received: 0, sent: 0 },
    pending: 0,
    overdue: 0,
    unrefined: 0,
    waiting: [],
    waitingTotal: 0,
    storage: null,
  };
  it('shows counts per BALF and the overdue figure against the primary target', () => {
    load('popup');
    renderPopup(document, t, {
      configured: true,
      primaryTarget,
      balfs: [
        {
          ...quiet,
          today: { received: 3, sent: 1 },
          week: { received: 12, sent: 9 },
          pending: 4,
          overdue: 2,
        },
      ],
    });
    const section = document.querySelector('section');
    expect(section?.querySelector('h2')?.textContent).toBe('sip.test@dgfip.finances.gouv.fr');
    const cells = [...(section?.querySelectorAll('tr') ?? [])].map((tr) =>
      [...tr.querySelectorAll('th,td')].map((c) => c.textContent),
    );
    expect(cells).toEqual([
      ['', "Aujourd'hui", 'Cette semaine'],
      ['Reçus', '3', '12'],
      ['Envoyés', '1', '9'],
    ]);
    expect(section?.querySelector('.overdue')?.textContent).toBe('En retard : 2');
    expect(section?.querySelector('.overdue')?.classList.contains('alert')).toBe(true);
    expect(document.getElementById('target')?.textContent).toBe('Cible : Marianne (5 jours ouvrés)');
    expect(document.getElementById('open-options')?.textContent).toBe('Options');
    expect(section?.querySelector('.refining')).toBeNull();
  });

  it('says the figures are provisional while received messages wait for their headers', () => {
    load('popup');
    const balf = { ...quiet, today: { received: 3, sent: 1 }, week: { received: 12, sent: 9 } };
    renderPopup(document, t, { configured: true, primaryTarget, balfs: [{ ...balf, unrefined: 3200 }] });
    const note = document.querySelector('section .refining');
    expect(note?.textContent).toBe('Classement en cours : 3200 messages à vérifier');
    expect(note?.getAttribute('role')).toBe('status');
    renderPopup(document, t, { configured: true, primaryTarget, balfs: [{ ...balf, unrefined: 1 }] });
    expect(document.querySelector('section .refining')?.textContent).toBe(
      'Classement en cours : 1 message à vérifier',
    );
  });

  const GiB = 1024 ** 3;
  const use = (usedBytes: number, limitBytes: number) => ({
    balf: quiet.balf,
    usedBytes,
    limitBytes,
    percent: storagePercent(usedBytes, limitBytes),
    band: storageBand(usedBytes, limitBytes),
  });

  it('shows the quota use at 80 % or more with the guide’s advice, nothing below it nor when unknown', () => {
    load('popup');
    const line = (storage: typeof quiet.storage | ReturnType<typeof use>) => {
      renderPopup(document, t, { configured: true, primaryTarget, balfs: [{ ...quiet, storage }] });
      return document.querySelector('section .storage');
    };
    // Unknown quota (no quota from Thunderbird or the server): no line, never « 0 % ».
    expect(line(null)).toBeNull();
    expect(document.body.textContent).not.toContain('%');
    // Just under 80 % on the bytes (rounded it would read 80,0 %): core's band says below, no line.
    expect(line(use(0.79996 * GiB, GiB))).toBeNull();
    expect(line(use(0.8 * GiB, GiB))?.textContent).toBe(
      'Boîte remplie à 80 % de son quota : archivez les anciens échanges traités et videz la Corbeille et les Indésirables.',
    );
    const critical = line(use(0.962 * GiB, GiB));
    expect(critical?.textContent).toContain('96,2 %');
    expect(critical?.textContent).toContain("aujourd'hui");
    expect(critical?.classList.contains('critical')).toBe(true);
    expect(critical?.getAttribute('role')).toBe('status');
    expect(line(use(GiB, GiB))?.textContent).toContain('Boîte pleine (100 % de son quota)');
  });

  const waitingItem = (over: Partial<WaitingMessage>): WaitingMessage => ({
    key: 'k',
    headerMessageId: 'q1@example.org',
    subject: 'Demande de délai de paiement',
    correspondent: 'marie.usager@example.org',
    receivedAt: '2026-11-16T08:12:00.000Z',
    ageDays: 7,
    dueOn: '2026-11-23',
    bucket: 'overdue',
    provisional: false,
    ...over,
  });

  it('lists the oldest waiting messages with age, due day and mark; each opens its message', async () => {
    load('popup');
    const opened: string[] = [];
    const open = async (id: string) => {
      opened.push(id);
      return id === 'gone@example.org' ? ('not-found' as const) : ('opened' as const);
    };
    const waiting = [
      waitingItem({}),
      waitingItem({
        key: 'k2',
        headerMessageId: 'gone@example.org',
        subject: '',
        correspondent: null,
        ageDays: 4,
        dueOn: '2026-11-26',
        bucket: 'dueSoon',
      }),
      waitingItem({
        key: 'k3',
        headerMessageId: 'q3@example.org',
        ageDays: 1,
        dueOn: '2026-12-01',
        bucket: 'inTime',
      }),
      waitingItem({
        key: 'k4',
        headerMessageId: 'q4@example.org',
        ageDays: 0,
        dueOn: '2026-12-02',
        bucket: 'inTime',
      }),
    ];
    renderPopup(
      document,
      t,
      { configured: true, primaryTarget, balfs: [{ ...quiet, waiting, waitingTotal: 16 }] },
      open,
    );
    const part = document.querySelector('section .waiting');
    expect(part?.querySelector('h3')?.textContent).toBe('À traiter : 16');
    const items = [...(part?.querySelectorAll('li') ?? [])];
    expect(items.map((li) => li.querySelector('button')?.textContent)).toEqual([
      'En retard Demande de délai de paiementmarie.usager@example.org7 jours ouvrés · échéance le 23 nov. 2026',
      'À échéance (sans objet)—4 jours ouvrés · échéance le 26 nov. 2026',
      'Demande de délai de paiementmarie.usager@example.org1 jour ouvré · échéance le 1 déc. 2026',
      "Demande de délai de paiementmarie.usager@example.orgmoins d'un jour ouvré · échéance le 2 déc. 2026",
    ]);
    expect(part?.querySelector('p.hint')?.textContent).toBe('… et 12 autres, plus récents.');
    items[0]?.querySelector('button')?.click();
    items[1]?.querySelector('button')?.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(opened).toEqual(['q1@example.org', 'gone@example.org']);
    expect(items[0]?.querySelector('.open-status')?.textContent).toBe('');
    expect(items[1]?.querySelector('.open-status')?.textContent).toContain('Message introuvable');
  });

  it('says when no usager message waits', () => {
    load('popup');
    renderPopup(document, t, { configured: true, primaryTarget, balfs: [quiet] });
    expect(document.querySelector('section .waiting h3')?.textContent).toBe('À traiter : 0');
    expect(document.querySelector('section .waiting p')?.textContent).toBe(
      "Aucun courriel d'usager en attente de réponse.",
    );
    expect(document.querySelector('section .waiting ol')).toBeNull();
  });

  it('says when nothing is configured', () => {
    load('popup');
    renderPopup(document, t, {
      configured: false,
      primaryTarget: { id: 'm', label: 'M', workingDays: 5 },
      balfs: [],
    });
    expect(document.querySelector('[role=status]')?.textContent).toContain('Aucune BALF');
  });
});

function state(): OptionsState {
  const sources = Object.fromEntries(configKeys.map((k) => [k, 'default'])) as OptionsState['sources'];
  sources.endpoint = 'managed';
  sources.secret = 'managed';
  sources.backfillDays = 'local';
  sources.uploadIntervalMinutes = 'last-valid';
  return {
    managed: true,
    values: {
      endpoint: 'https://collecte.example.fr',
      secret: '••••••••',
      backfillDays: 30,
      balfs: ['a@x.fr'],
    },
    sources,
    errors: [{ key: 'uploadIntervalMinutes', source: 'managed', reason: 'Invalid input: expected number' }],
    local: { backfillDays: 30, internalDomains: ['dgfip.finances.gouv.fr'], whitMondayWorked: true },
    lastScan: { at: '2026-11-20T12:00:00.000Z', errors: [] },
    lastUpload: {
      at: '2026-11-20T12:01:00.000Z',
      result: 'error',
      status: 401,
      message: 'HTTP 401 — jeton inconnu',
    },
    notBefore: null,
    queue: 42,
    ledger: 100,
    finalBatches: [{ batchId: 'b', balf: 'a@x.fr', records: 42, lastError: 'HTTP 401 — jeton inconnu' }],
    evictions: [
      {
        at: '2026-11-20T12:00:00.000Z',
        count: 5,
        oldest: '2026-08-01T00:00:00.000Z',
        newest: '2026-08-02T00:00:00.000Z',
      },
    ],
    balfAccounts: [{ accountId: 'account1', balf: 'a@x.fr' }],
  };
}

describe('options page', () => {
  it('shows every key with its value and source, the errors, the upload result and evictions', () => {
    load('options');
    renderState(document, t, state());
    const rows = [...document.querySelectorAll('#config-rows tr')];
    expect(rows).toHaveLength(configKeys.length);
    const endpoint = rows.find(
      (r) => r.querySelector('th')?.textContent === 'Adresse du serveur de collecte',
    );
    expect([...(endpoint?.querySelectorAll('td') ?? [])].map((c) => c.textContent)).toEqual([
      'https://collecte.example.fr',
      'administrateur',
    ]);
    expect(document.body.textContent).toContain('dernière valeur valide');
    expect(document.getElementById('config-errors')?.textContent).toContain(
      "Intervalle d'envoi (minutes) (administrateur) : Invalid input: expected number",
    );
    const status = document.getElementById('status')?.textContent ?? '';
    expect(status).toContain('HTTP 401 — jeton inconnu');
    expect(status).toContain('42');
    expect(status).toContain('5 enregistrements');
    expect(document.getElementById('managed-note')?.textContent).toContain('imposée');
  });

  it('locks managed keys and reads the form back into raw values', () => {
    load('options');
    renderForm(document, t, state());
    const field = (k: string) => document.getElementById(`field-${k}`) as HTMLInputElement;
    expect(field('endpoint').disabled).toBe(true);
    expect(field('secret').disabled).toBe(true);
    expect(field('backfillDays').value).toBe('30');
    expect(field('whitMondayWorked').checked).toBe(true);
    expect(document.querySelector('label[for=field-backfillDays]')?.textContent).toBe(
      'Historique analysé au premier lancement (jours)',
    );
    field('balfs').value = 'a@x.fr, b@x.fr';
    field('targets').value = '[{"id":"rapide","label":"Rapide","workingDays":1}]';
    field('department').value = '974';
    // An agent turns the notices of due messages on (off by default) where the administrator left it free.
    expect(field('notifyDue').checked).toBe(false);
    field('notifyDue').checked = true;
    const values = readForm(document.getElementById('local-form') as HTMLFormElement);
    expect(values).toEqual({
      balfs: ['a@x.fr', 'b@x.fr'],
      internalDomains: ['dgfip.finances.gouv.fr'],
      department: '974',
      targets: [{ id: 'rapide', label: 'Rapide', workingDays: 1 }],
      backfillDays: 30,
      whitMondayWorked: true,
      allowSpotCheckUpload: false,
      notifyDue: true,
    });
  });
});

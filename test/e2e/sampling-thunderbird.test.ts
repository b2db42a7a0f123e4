// The sampling panel in a real headless Thunderbird: the add-on fills its ledger from a Dovecot BALF, then
// (second start, policies.json `debugOpenTab`) opens sampling.html in a tab, which draws a seeded sample and
// prints it; the sample, statuses and rate must equal what the core functions give for the same data. Then, driven
// through Marionette, a sampled message deleted from the BALF: the panel's open button says it is gone (French
// notice) and the row, redrawn from the ledger, keeps its data.
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWeekStart, localDay } from '../../src/core/calendar.ts';
import { messageKey } from '../../src/core/keys.ts';
import { drawSample } from '../../src/core/sampling.ts';
import { DEFAULT_TARGETS, replyStatus, summarize, type Summary } from '../../src/core/targets.ts';
import { OPEN_MARKER, SAMPLING_MARKER } from '../../src/extension/sampling/trace.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { buildMessage, type MessageSpec } from '../support/imap/messages.ts';
import {
  inPage,
  restartDrivenClient,
  startDrivenClient,
  stopDrivenClient,
  waitInPage,
  type DrivenClient,
} from '../support/marionette/thunderbird-ui.ts';
import { STATUS_MARKER } from '../support/thunderbird/console-log.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi, REPO_ROOT } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.sondage@dgfip.finances.gouv.fr';
const SECRET = 'secret-de-deploiement-sondage-e2e';
const SEED = 'E2E23456';
const SAMPLE = 8;
const HOUR = 3_600_000;

interface Mail {
  folder: 'INBOX' | 'Sent';
  spec: MessageSpec;
}

interface Trace {
  balf: string;
  from: string;
  to: string;
  seed: string;
  population: number;
  requested: number;
  takeAll: boolean;
  asOf: string;
  keys: string[];
  statuses: string[];
  automatic: Summary;
}

/**
 * 16 usager requests over two weeks, 2 internal and 1 automatic message. Replies (in time, or about nine
 * days late) are all sent within the last two days, so that the add-on's periodic scan sees them even when
 * Thunderbird syncs the Sent folder after the start-up scan.
 */
function mailbox(now: number): { mails: Mail[]; usager: { id: string; date: Date; replyAt: Date | null }[] } {
  const at = (hoursAgo: number): Date => new Date(Math.floor((now - hoursAgo * HOUR) / 1000) * 1000);
  const mails: Mail[] = [];
  const usager: { id: string; date: Date; replyAt: Date | null }[] = [];
  for (let i = 0; i < 16; i += 1) {
    const kind = i % 3;
    const replyAt = kind === 2 ? null : at(3 + 2 * i);
    const date = replyAt ? at(3 + 2 * i + (kind === 0 ? 26 : 9 * 24 + 5)) : at(20 + i * 19);
    const id = `demande-${i}@exemple.fr`;
    const from = `Usager ${i} <usager${i}@exemple.fr>`;
    mails.push({ folder: 'INBOX', spec: { messageId: id, date, from, to: BALF, subject: `Demande ${i}` } });
    usager.push({ id, date, replyAt });
    if (replyAt) {
      mails.push({
        folder: 'Sent',
        spec: {
          messageId: `reponse-${i}@dgfip.finances.gouv.fr`,
          date: replyAt,
          from: BALF,
          to: from,
          subject: `Re: Demande ${i}`,
          inReplyTo: id,
          references: [id],
        },
      });
    }
  }
  mails.push(
    {
      folder: 'INBOX',
      spec: {
        messageId: 'collegue-1@dgfip.finances.gouv.fr',
        date: at(30),
        from: 'Agent <agent.collegue@dgfip.finances.gouv.fr>',
        to: BALF,
        subject: 'Point dossier',
      },
    },
    {
      folder: 'INBOX',
      spec: {
        messageId: 'collegue-2@dgfip.finances.gouv.fr',
        date: at(100),
        from: 'Agent <agent.autre@dgfip.finances.gouv.fr>',
        to: BALF,
        subject: 'Congés',
      },
    },
    {
      folder: 'INBOX',
      spec: {
        messageId: 'absence@exemple.fr',
        date: at(60),
        from: 'Usager 1 <usager1@exemple.fr>',
        to: BALF,
        subject: 'Réponse automatique : absent',
        headers: { 'Auto-Submitted': 'auto-replied' },
      },
    },
  );
  return { mails, usager };
}

describe('panneau de sondage dans un Thunderbird réel', () => {
  let work: string;
  let imap: ImapServer;
  let policies: PoliciesHandle | undefined;
  let driven: DrivenClient | undefined;
  let trace: Trace | undefined;
  /** Maildir file of each message, by Message-ID. */
  const files = new Map<string, string>();
  const now = Date.now();
  const { mails, usager } = mailbox(now);
  const from = localDay(new Date(now - 15 * 24 * HOUR), 'metropole');
  const to = localDay(new Date(now), 'metropole');
  let managed: Record<string, unknown>;
  let addon: { id: string; xpi: string };

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    addon = buildProductXpi();
    work = await mkdtemp(join(tmpdir(), 'suivi-sampling-e2e-'));
    await chmod(work, 0o755);
    imap = await startImapServer({ baseDir: join(work, 'imap'), folders: ['Sent'] });
    for (const mail of mails) {
      const file = await imap.maildir.add(mail.folder, buildMessage(mail.spec), {
        receivedAt: mail.spec.date ?? new Date(),
      });
      if (mail.spec.messageId) files.set(mail.spec.messageId, file);
    }
    managed = {
      secret: SECRET,
      balfs: [BALF],
      internalDomains: ['dgfip.finances.gouv.fr'],
      department: '75',
      backfillDays: 30,
      logLevel: 'debug',
    };
    policies = await acquirePolicies(managedPolicies(addon.id, managed));
    // In French (the notice checked below is the French one), with Marionette to act in the page.
    driven = await startDrivenClient({
      workDir: work,
      imapPort: imap.port,
      balf: BALF,
      addons: [addon],
      french: true,
      markers: [STATUS_MARKER, SAMPLING_MARKER, OPEN_MARKER],
    });
  });

  afterAll(async () => {
    await stopDrivenClient(driven);
    policies?.restore();
    await imap?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('tire dans Thunderbird le même échantillon, avec les mêmes statuts et le même taux que le cœur', async () => {
    // Run 1: the add-on counts every message of the BALF into its ledger.
    await driven!.client.tb.log.waitFor((s) => s.scanComplete && s.ledger >= mails.length, {
      what: `registre rempli (${mails.length} messages)`,
      timeoutMs: 420_000,
    });
    // Run 2: the same profile, with the page to open at start-up.
    const page =
      `sampling/sampling.html?balf=${encodeURIComponent(BALF)}&period=custom&from=${from}&to=${to}` +
      `&n=${SAMPLE}&seed=${SEED}&stratify=1&draw=1&open=1`;
    policies!.update(managedPolicies(addon.id, { ...managed, debugOpenTab: page }));
    driven = await restartDrivenClient(driven!, [STATUS_MARKER, SAMPLING_MARKER, OPEN_MARKER]);
    const drawn = await driven.client.tb.log.waitFor<Trace>(() => true, {
      marker: SAMPLING_MARKER,
      what: 'ligne « suivi-balf:sampling » de la page de sondage',
      timeoutMs: 180_000,
    });

    trace = drawn;
    const population = await Promise.all(
      usager.map(async (u) => ({ ...u, key: await messageKey(SECRET, u.id) })),
    );
    expect(drawn).toMatchObject({ balf: BALF, from, to, seed: SEED, population: population.length });
    const expected = drawSample(population, SAMPLE, SEED, {
      key: (u) => u.key,
      strata: (u) => isoWeekStart(localDay(u.date, 'metropole')),
    });
    expect(drawn.keys).toEqual(expected.map((u) => u.key));
    const target = DEFAULT_TARGETS.find((t) => t.id === 'marianne')!;
    const statuses = expected.map((u) => replyStatus(u.date, u.replyAt, drawn.asOf, target, 'metropole'));
    expect(drawn.statuses).toEqual(statuses.map((s) => s.status));
    expect(drawn.automatic).toEqual(summarize(statuses));
    expect(drawn.automatic.decided).toBeGreaterThan(0);
  });

  it('ouvre dans un onglet le message tiré et une réponse (messages.query par Message-ID, messageDisplay.open)', async () => {
    const opened = await driven!.client.tb.log.waitFor<{ message: string | null; reply: string | null }>(
      () => true,
      {
        marker: OPEN_MARKER,
        what: 'ligne « suivi-balf:sampling-open » de la page de sondage',
        timeoutMs: 60_000,
      },
    );
    expect(opened).toEqual({ message: 'opened', reply: 'opened' });
  });

  it('un message tiré puis supprimé de la BALF : « introuvable » au clic sur Message, la ligne garde ses données', async () => {
    expect(trace, 'tirage du premier cas').toBeDefined();
    const ui = driven!.ui;
    const page = 'sampling/sampling.html';
    const fr = JSON.parse(readFileSync(`${REPO_ROOT}/extension/_locales/fr/messages.json`, 'utf8')) as Record<
      string,
      { message: string }
    >;
    const notice = fr['sampling_notFound']!.message;
    expect(notice).toMatch(/^Message introuvable/);
    // The last sampled message: find its Message-ID through its key.
    const keys = await Promise.all(
      usager.map(async (u) => ({ id: u.id, key: await messageKey(SECRET, u.id) })),
    );
    const key = trace!.keys.at(-1)!;
    const gone = keys.find((k) => k.key === key)!;
    const rowText = `Array.from(doc.querySelector('tr[data-row="${key}"]').cells).filter((c) => !c.classList.contains('open') && !c.classList.contains('decision')).map((c) => c.textContent.trim())`;
    await waitInPage(
      ui,
      page,
      `doc.querySelector('tr[data-row="${key}"] button[data-open="message"]')`,
      'ligne tirée',
    );
    const before = await inPage<string[]>(ui, page, `return ${rowText};`);
    expect(before.join(' ')).toContain(mails.find((m) => m.spec.messageId === gone.id)!.spec.subject);

    // Deleted on the server (Dovecot sees the Maildir file go, IDLE tells Thunderbird, which expunges it).
    await rm(files.get(gone.id)!);
    // Until Thunderbird has synced the deletion the click still opens the message: click again until it says so.
    const status = await inPage<string>(
      ui,
      page,
      `const button = doc.querySelector('tr[data-row="${key}"] button[data-open="message"]');
       const out = doc.querySelector('[data-open-status="${key}"]');
       const until = Date.now() + 150000;
       while (Date.now() < until) {
         out.textContent = '';
         button.click();
         const settle = Date.now() + 5000;
         while (out.textContent === '' && Date.now() < settle) await new Promise((r) => win.setTimeout(r, 200));
         if (out.textContent !== '') return out.textContent;
         await new Promise((r) => win.setTimeout(r, 2000));
       }
       return '';`,
      [],
      170_000,
    );
    expect(status).toBe(notice);
    expect(await inPage<string>(ui, page, `return doc.getElementById('feedback').textContent;`)).toBe(notice);
    expect(await inPage<string[]>(ui, page, `return ${rowText};`)).toEqual(before);

    // Drawn again from the ledger (same seed): the deleted message is still in the sample, with the same data.
    await inPage(
      ui,
      page,
      `doc.getElementById('sample-table').querySelector('tbody').replaceChildren();
      doc.querySelector('#draw-form button[type="submit"]').click();`,
    );
    await waitInPage(ui, page, `doc.querySelector('tr[data-row="${key}"]')`, 'nouveau tirage');
    expect(await inPage<string[]>(ui, page, `return ${rowText};`)).toEqual(before);
  });
});

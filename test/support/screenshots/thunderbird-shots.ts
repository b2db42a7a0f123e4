// Screenshots of the real add-on inside a real headless Thunderbird (French), driven through Marionette: the
// add-on counts a generated Dovecot BALF and uploads to the demo server, then its popup, options page and
// sampling panel (seeded draw, verdicts, saved spot-check) are captured as Thunderbird paints them.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDay } from '../../../src/core/calendar.ts';
import { startImapServer, type ImapServer } from '../imap/imap-server.ts';
import { buildMessage, type MessageSpec } from '../imap/messages.ts';
import {
  inPage,
  openTab,
  extensionUrl,
  popupScreenshot,
  resizeWindow,
  restartDrivenClient,
  selectTab,
  startDrivenClient,
  stopDrivenClient,
  waitInPage,
  windowScreenshot,
  type DrivenClient,
} from '../marionette/thunderbird-ui.ts';
import { STATUS_MARKER, type AddonStatus } from '../thunderbird/console-log.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../thunderbird/system.ts';
import { buildProductXpi } from '../thunderbird/xpi.ts';
import { DEMO_DEPARTMENT, type DemoServer } from './demo-server.ts';

/** File names written by `captureThunderbird`, stable: the guides refer to them. */
export const THUNDERBIRD_SHOTS = {
  popup: 'popup.png',
  options: 'options.png',
  samplingForm: 'panneau-sondage-tirage.png',
  sampling: 'panneau-sondage.png',
  samplingResults: 'panneau-sondage-resultats.png',
} as const;

const HOUR = 3_600_000;
const SEED = 'GUIDE2026';
const SAMPLE = 8;
const SUBJECTS = [
  'Demande de délai de paiement',
  'Avis de taxe foncière : contestation',
  'Changement d’adresse',
  'Prélèvement à la source : modulation',
  'Remboursement non reçu',
  'Attestation de situation fiscale',
  'Déclaration de revenus : erreur de saisie',
  'Taxe d’habitation sur une résidence secondaire',
  'Demande de rendez-vous',
  'Majoration de retard : remise gracieuse',
  'Avis de situation déclarative',
  'Pension alimentaire : justificatifs',
];
const NAMES = [
  'Camille Martin',
  'Lucas Bernard',
  'Chloé Petit',
  'Hugo Durand',
  'Léa Moreau',
  'Nathan Laurent',
];

interface Mail {
  folder: 'INBOX' | 'Sent';
  spec: MessageSpec;
}

/** 18 usager requests over two weeks (replied in time, late, or not yet), one colleague, one auto-reply. */
export function guideMailbox(balf: string, internalDomain: string, now: number): Mail[] {
  const at = (hoursAgo: number): Date => new Date(Math.floor((now - hoursAgo * HOUR) / 1000) * 1000);
  const mails: Mail[] = [];
  for (let i = 0; i < 18; i += 1) {
    const kind = i % 3;
    // Replies sent within the last two days: the add-on's periodic scan sees them whatever the sync order.
    const replyAt = kind === 2 ? null : at(3 + 2 * i);
    const date = replyAt ? at(3 + 2 * i + (kind === 0 ? 26 : 9 * 24 + 5)) : at(20 + i * 17);
    const name = NAMES[i % NAMES.length]!;
    const email = `${name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z ]/g, '')
      .replace(' ', '.')}${i}@exemple.fr`;
    const from = `${name} <${email}>`;
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    const id = `demande-${i}@exemple.fr`;
    mails.push({ folder: 'INBOX', spec: { messageId: id, date, from, to: balf, subject } });
    if (replyAt) {
      mails.push({
        folder: 'Sent',
        spec: {
          messageId: `reponse-${i}@${internalDomain}`,
          date: replyAt,
          from: balf,
          to: from,
          subject: `Re: ${subject}`,
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
        messageId: `collegue-1@${internalDomain}`,
        date: at(30),
        from: `Service des impôts des entreprises <sie.paris@${internalDomain}>`,
        to: balf,
        subject: 'Transmission d’un dossier',
      },
    },
    {
      folder: 'INBOX',
      spec: {
        messageId: 'absence@exemple.fr',
        date: at(60),
        from: `${NAMES[1]!} <lucas.bernard1@exemple.fr>`,
        to: balf,
        subject: 'Réponse automatique : absent',
        headers: { 'Auto-Submitted': 'auto-replied' },
      },
    },
  );
  return mails;
}

/** Verdicts as a chef de service would record them after reading the messages (and one correction). */
const RECORD_VERDICTS = `
  const rows = [...doc.querySelectorAll('#sample-table tbody tr')];
  const set = (row, field, value) => {
    const input = row.querySelector('[data-field="' + field + '"]');
    input.value = value;
    input.dispatchEvent(new win.Event('change', { bubbles: true }));
  };
  let sansObjet = false;
  for (const row of rows) {
    const status = row.querySelector('td.status').className;
    if (status.includes('answered_in_time')) set(row, 'verdict', 'conforme');
    else if (status.includes('pending')) continue;
    else if (status.includes('answered_late') && !sansObjet) {
      sansObjet = true;
      set(row, 'verdict', 'sans_objet');
      set(row, 'comment', 'Remerciement de l’usager : aucune réponse n’était attendue');
    } else {
      set(row, 'verdict', 'non_conforme');
      if (status.includes('overdue')) set(row, 'comment', 'Relance à faire cette semaine');
    }
  }
  doc.getElementById('save').click();
  return rows.length;`;

async function pageShot(
  driven: DrivenClient,
  page: string,
  scrollTo: string | null,
  file: string,
): Promise<void> {
  await selectTab(driven.ui, page);
  await inPage(
    driven.ui,
    page,
    scrollTo === null
      ? 'win.scrollTo(0, 0);'
      : `doc.getElementById(${JSON.stringify(scrollTo)}).scrollIntoView({ block: 'start' });`,
  );
  await writeFile(file, await windowScreenshot(driven.ui));
}

/**
 * Writes the add-on's PNGs into `outDir`; returns their paths. Needs root (Dovecot runs as an unprivileged
 * user, policies.json is machine-wide and put back afterwards); run it in a private mount namespace when
 * other real-Thunderbird runs share the machine.
 */
export async function captureThunderbird(server: DemoServer, outDir: string): Promise<string[]> {
  requireThunderbirdAndDovecot();
  const addon = buildProductXpi();
  const work = await mkdtemp(join(tmpdir(), 'suivi-balf-captures-tb-'));
  await chmod(work, 0o755);
  let imap: ImapServer | undefined;
  let policies: PoliciesHandle | undefined;
  let driven: DrivenClient | undefined;
  const now = Date.now();
  const internalDomain = server.balf.slice(server.balf.indexOf('@') + 1);
  const mails = guideMailbox(server.balf, internalDomain, now);
  const written: string[] = [];
  try {
    imap = await startImapServer({ baseDir: join(work, 'imap'), folders: ['Sent'] });
    for (const mail of mails) {
      await imap.maildir.add(mail.folder, buildMessage(mail.spec), {
        receivedAt: mail.spec.date ?? new Date(),
      });
    }
    const managed = {
      endpoint: server.base,
      token: server.token,
      secret: 'secret-de-deploiement-guides',
      balfs: [server.balf],
      internalDomains: [internalDomain],
      department: DEMO_DEPARTMENT,
      backfillDays: 30,
      allowSpotCheckUpload: true,
    };
    // Run 1 (debug log): the add-on counts the BALF and uploads; its status lines say when it is done.
    policies = await acquirePolicies(managedPolicies(addon.id, { ...managed, logLevel: 'debug' }));
    driven = await startDrivenClient({
      workDir: work,
      imapPort: imap.port,
      balf: server.balf,
      addons: [addon],
      french: true,
      // Times on the options page in the service's time zone, as on a workstation in Paris.
      env: { TZ: 'Europe/Paris' },
      markers: [STATUS_MARKER],
    });
    await driven.client.tb.log.waitFor<AddonStatus>(
      (s) => s.scanComplete && s.ledger >= mails.length && s.queue === 0 && s.lastUpload === 'ok',
      { what: `registre rempli (${mails.length} messages) et envoyé au serveur`, timeoutMs: 420_000 },
    );
    // Run 2: the configuration a coordinator deploys (no debug level), for the pictures.
    policies.update(managedPolicies(addon.id, managed));
    driven = await restartDrivenClient(driven);
    await resizeWindow(driven.ui, 1600, 1000);

    const file = (name: string) => {
      const path = join(outDir, name);
      written.push(path);
      return path;
    };
    await writeFile(file(THUNDERBIRD_SHOTS.popup), await popupScreenshot(driven.ui, addon.id));

    await openTab(driven.ui, await extensionUrl(driven.ui, addon.id, 'options/options.html'));
    await waitInPage(
      driven.ui,
      'options/options.html',
      "doc.querySelectorAll('#config-rows tr').length > 5 && doc.getElementById('status').textContent.trim() !== ''",
      'page d’options remplie',
    );
    await pageShot(driven, 'options/options.html', null, file(THUNDERBIRD_SHOTS.options));

    const from = localDay(new Date(now - 15 * 24 * HOUR), 'metropole');
    const to = localDay(new Date(now), 'metropole');
    const query =
      `?balf=${encodeURIComponent(server.balf)}&period=custom&from=${from}&to=${to}` +
      `&n=${SAMPLE}&seed=${SEED}&stratify=1&draw=1`;
    await openTab(driven.ui, await extensionUrl(driven.ui, addon.id, `sampling/sampling.html${query}`));
    const page = 'sampling/sampling.html';
    await waitInPage(
      driven.ui,
      page,
      `doc.querySelectorAll('#sample-table tbody tr').length === ${SAMPLE}`,
      `échantillon de ${SAMPLE} messages tiré`,
    );
    await inPage(driven.ui, page, RECORD_VERDICTS);
    await waitInPage(
      driven.ui,
      page,
      "doc.getElementById('saved').textContent.includes('" + SEED + "')",
      'sondage enregistré dans l’historique local',
    );
    await pageShot(driven, page, null, file(THUNDERBIRD_SHOTS.samplingForm));
    await pageShot(driven, page, 'sample-section', file(THUNDERBIRD_SHOTS.sampling));
    await pageShot(driven, page, 'results-section', file(THUNDERBIRD_SHOTS.samplingResults));
  } finally {
    await stopDrivenClient(driven);
    policies?.restore();
    await imap?.close();
    await rm(work, { recursive: true, force: true });
  }
  return written;
}

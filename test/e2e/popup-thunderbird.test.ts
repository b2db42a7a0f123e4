// The popup's « À traiter » in a real headless Thunderbird: the add-on counts a Dovecot BALF, its popup page
// (opened in a tab at the next start-up through policies.json `debugOpenTab`, driven through Marionette) lists the
// unanswered usager mail oldest first with the age and mark core gives, and a click on an entry opens that
// message in a Thunderbird tab.
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backlogAge, backlogBucket } from '../../src/core/backlog.ts';
import { localDay, todayIn } from '../../src/core/calendar.ts';
import { DEFAULT_TARGETS } from '../../src/core/targets.ts';
import { startImapServer } from '../support/imap/imap-server.ts';
import { buildMessage, type MessageSpec } from '../support/imap/messages.ts';
import * as tb from '../support/marionette/thunderbird-ui.ts';
import { STATUS_MARKER } from '../support/thunderbird/console-log.ts';
import { acquirePolicies, managedPolicies } from '../support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi, REPO_ROOT } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.traiter@dgfip.finances.gouv.fr';
const HOUR = 3_600_000;
const PAGE = 'popup/popup.html';
const now = Date.now();
const at = (hoursAgo: number): Date => new Date(Math.floor((now - hoursAgo * HOUR) / 1000) * 1000);

/** Two waiting usager messages (twelve days old, one hour old), one answered, one from a colleague. */
const mails: { folder: 'INBOX' | 'Sent'; spec: MessageSpec }[] = [
  {
    folder: 'INBOX',
    spec: {
      messageId: 'ancienne@exemple.fr',
      date: at(12 * 24),
      from: 'Marie Usager <marie.usager@exemple.fr>',
      to: BALF,
      subject: 'Demande de délai de paiement',
    },
  },
  {
    folder: 'INBOX',
    spec: {
      messageId: 'recente@exemple.fr',
      date: at(1),
      from: 'Paul Usager <paul.usager@exemple.fr>',
      to: BALF,
      subject: 'Avis de taxe foncière',
    },
  },
  {
    folder: 'INBOX',
    spec: {
      messageId: 'repondue@exemple.fr',
      date: at(30),
      from: 'Jean Usager <jean.usager@exemple.fr>',
      to: BALF,
      subject: 'Question déjà traitée',
    },
  },
  {
    folder: 'Sent',
    spec: {
      messageId: 'reponse@dgfip.finances.gouv.fr',
      date: at(2),
      from: BALF,
      to: 'jean.usager@exemple.fr',
      subject: 'Re: Question déjà traitée',
      inReplyTo: 'repondue@exemple.fr',
      references: ['repondue@exemple.fr'],
    },
  },
  {
    folder: 'INBOX',
    spec: {
      messageId: 'collegue@dgfip.finances.gouv.fr',
      date: at(20),
      from: 'Agent <agent.collegue@dgfip.finances.gouv.fr>',
      to: BALF,
      subject: 'Point dossier',
    },
  },
];

describe('« À traiter » dans la fenêtre du module, dans Thunderbird', () => {
  let driven: tb.DrivenClient | undefined;
  /** What to undo at the end, in reverse order: each part is undone even when a later one failed to start. */
  const undo: (() => unknown)[] = [];

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    const addon = buildProductXpi();
    const work = await mkdtemp(join(tmpdir(), 'suivi-popup-e2e-'));
    undo.push(() => rm(work, { recursive: true, force: true }));
    await chmod(work, 0o755);
    const imap = await startImapServer({ baseDir: join(work, 'imap'), folders: ['Sent'] });
    undo.push(() => imap.close());
    for (const { folder, spec } of mails)
      await imap.maildir.add(folder, buildMessage(spec), { receivedAt: spec.date ?? new Date() });
    const managed = {
      secret: 'secret-de-deploiement-popup-e2e',
      balfs: [BALF],
      internalDomains: ['dgfip.finances.gouv.fr'],
      department: '75',
      backfillDays: 30,
      logLevel: 'debug',
      debugOpenTab: PAGE,
    };
    const policies = await acquirePolicies(managedPolicies(addon.id, managed));
    undo.push(() => policies.restore());
    // In French (the marks checked are the French ones), with Marionette to act in the page.
    const options = {
      workDir: work,
      imapPort: imap.port,
      balf: BALF,
      addons: [addon],
      markers: [STATUS_MARKER],
    };
    driven = await tb.startDrivenClient({ ...options, french: true });
    undo.push(() => tb.stopDrivenClient(driven));
  });

  afterAll(async () => {
    for (const step of undo.reverse()) await step();
  });

  it('liste les courriels d’usagers sans réponse, le plus ancien d’abord, et ouvre celui cliqué', async () => {
    const client = driven!.client;
    await client.tb.log.waitFor((s) => s.scanComplete && s.ledger >= mails.length && s.unrefined === 0, {
      what: `registre rempli et classé (${mails.length} messages)`,
      timeoutMs: 420_000,
    });
    // The first start is the add-on's installation; at the next start-up it opens the page (debugOpenTab).
    driven = await tb.restartDrivenClient(driven!, [STATUS_MARKER]);
    const ui = driven.ui;
    // The add-on opens the tab once its event page has started: wait for it before looking inside.
    await ui.run(
      `const tabmail = document.getElementById('tabmail');
       for (let i = 0; i < 400; i += 1) {
         if (tabmail.tabInfo.some((t) => t.browser?.currentURI?.spec.includes(args[0]))) return;
         await new Promise((r) => setTimeout(r, 200));
       }
       throw new Error('onglet non ouvert : ' + args[0]);`,
      [PAGE],
      120_000,
    );
    await tb.waitInPage(ui, PAGE, `doc.querySelectorAll('.waiting-item').length >= 2`, 'liste « À traiter »');
    const entries = await tb.inPage<{ subject: string; from: string; mark: string | null; age: string }[]>(
      ui,
      PAGE,
      `return Array.from(doc.querySelectorAll('.waiting-item')).map((li) => ({
         subject: li.querySelector('.subject').textContent,
         from: li.querySelector('.correspondent').textContent,
         mark: li.querySelector('.mark')?.textContent ?? null,
         age: li.querySelector('.age').textContent,
       }));`,
    );
    const fr = JSON.parse(readFileSync(`${REPO_ROOT}/extension/_locales/fr/messages.json`, 'utf8')) as Record<
      string,
      { message: string }
    >;
    const marianne = DEFAULT_TARGETS.find((t) => t.id === 'marianne')!;
    const expected = mails.slice(0, 2).map(({ spec }) => {
      const age = backlogAge(
        localDay(spec.date!, 'metropole'),
        todayIn('metropole', new Date()),
        'metropole',
      )!;
      const bucket = backlogBucket(age, marianne);
      return {
        subject: spec.subject,
        from: spec.from.replace(/^.*<|>$/g, ''),
        mark:
          bucket === 'inTime'
            ? null
            : fr[bucket === 'overdue' ? 'popupMarkOverdue' : 'popupMarkDueSoon']!.message,
        age:
          age <= 1
            ? expect.any(String)
            : expect.stringMatching(new RegExp(`^${age} jours ouvrés · échéance le `)),
      };
    });
    expect(entries).toEqual(expected);
    expect(entries[0]!.mark).toBe('En retard');
    expect(await tb.inPage<string>(ui, PAGE, `return doc.querySelector('.waiting h3').textContent;`)).toBe(
      'À traiter : 2',
    );

    // A click on the oldest: Thunderbird shows that message in a tab (its title is the subject).
    await tb.inPage(ui, PAGE, `doc.querySelector('.waiting-item button').click();`);
    const subject = mails[0]!.spec.subject;
    const titles = await ui.run<string[]>(
      `const tabmail = document.getElementById('tabmail');
       for (let i = 0; i < 150; i += 1) {
         if (tabmail.tabInfo.some((t) => (t.title ?? '').includes(args[0]))) break;
         await new Promise((r) => setTimeout(r, 200));
       }
       return tabmail.tabInfo.map((t) => t.title ?? '');`,
      [subject],
    );
    expect(titles.filter((t) => t.includes(subject))).toHaveLength(1);
  });
});

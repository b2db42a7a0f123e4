// The parts of e-mail notifications checked without a relay: configuration, templates, backoff, wall clocks, CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { notificationsCommand } from '../../src/server/cli/notifications-command.ts';
import type { Io } from '../../src/server/cli/support.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import { parseMailConfig, redactSmtpUrl } from '../../src/server/notifications/config.ts';
import { backoffMs, enqueue } from '../../src/server/notifications/outbox.ts';
import { localWallTime } from '../../src/server/notifications/schedule.ts';
import { saveSubscription } from '../../src/server/notifications/subscriptions.ts';
import { renderAlert, renderDigest, type DigestModel } from '../../src/server/notifications/templates.ts';
import { user } from './auth-support.ts';

const LINKS = { dashboardUrl: 'https://s.exemple.fr/#/stats', unsubscribeUrl: 'https://s.exemple.fr/u?t=x' };
const ENV = { SUIVI_MAIL_FROM: 'Suivi BALF <suivi@exemple.fr>' };

describe('mail configuration', () => {
  it('is off without SUIVI_SMTP_URL, and complete or refused with it', () => {
    expect(parseMailConfig({}, null)).toBeNull();
    expect(parseMailConfig({ SUIVI_SMTP_URL: ' ' }, null)).toBeNull();
    expect(
      parseMailConfig({ ...ENV, SUIVI_SMTP_URL: 'smtps://u:secret@relais:465' }, 'https://s.fr'),
    ).toEqual({
      smtpUrl: 'smtps://u:secret@relais:465',
      from: 'Suivi BALF <suivi@exemple.fr>',
      publicUrl: 'https://s.fr',
    });
    expect(() => parseMailConfig({ ...ENV, SUIVI_SMTP_URL: 'http://relais' }, 'https://s.fr')).toThrow(
      /smtp:\/\/ \(STARTTLS\)/,
    );
    expect(() => parseMailConfig({ ...ENV, SUIVI_SMTP_URL: 'relais:25' }, 'https://s.fr')).toThrow(
      /SUIVI_SMTP_URL/,
    );
    expect(() => parseMailConfig({ SUIVI_SMTP_URL: 'smtp://relais' }, 'https://s.fr')).toThrow(
      /SUIVI_MAIL_FROM/,
    );
    expect(() => parseMailConfig({ ...ENV, SUIVI_SMTP_URL: 'smtp://relais' }, null)).toThrow(
      /SUIVI_PUBLIC_URL/,
    );
    // The password never reaches a message or a log.
    expect(() => parseMailConfig({ SUIVI_SMTP_URL: 'smtp://u:secret@relais' }, null)).toThrow(
      /^(?!.*secret)/s,
    );
    expect(redactSmtpUrl('smtps://u:secret@relais:465')).toBe('smtps://u:***@relais:465');
  });
});

const DIGEST: DigestModel = {
  level: 'department',
  label: 'Bas-Rhin <67>',
  target: { label: '5 jours ouvrés', workingDays: 5 },
  week: { from: '2025-06-23', to: '2025-06-29' },
  rates: { lastWeek: 0.8, weekBefore: 0.9, lastYear: null },
  withheld: false,
  backlog: { asOf: '2025-06-30', buckets: { inTime: 4, dueSoon: 1, overdue: 2 }, oldestAgeDays: 1 },
  furthest: [
    { label: 'SIP Strasbourg', rate: 0.5, overdue: 2 },
    { label: 'SIE Colmar', rate: 0.75, overdue: 0 },
  ],
  childLevel: 'service',
};

describe('templates', () => {
  it('write the digest in French, in text and escaped HTML, with the change on the week before', () => {
    const m = renderDigest(DIGEST, LINKS);
    expect(m.subject).toBe('Suivi BALF — synthèse de la semaine du 23 juin : Bas-Rhin <67>');
    expect(m.text).toMatch(
      /Semaine dernière, du lundi 23 juin 2025 au dimanche 29 juin 2025 : 80\s%\s\([−-]10 point\(s\) sur la semaine précédente\)/,
    );
    expect(m.text).toContain('Même semaine l’an dernier : aucun message à échéance');
    expect(m.text).toContain('Message en attente le plus ancien : 1 jour ouvré.');
    expect(m.text).toContain('Les 2 services les plus éloignés de l’objectif la semaine dernière :');
    expect(m.text).toMatch(/1\. SIP Strasbourg — 50\s% ; en retard : 2\n2\. SIE Colmar/);
    expect(m.text).toContain(`Se désabonner en un clic : ${LINKS.unsubscribeUrl}`);
    expect(m.html).toContain('Bas-Rhin &lt;67&gt;');
    expect(m.html).not.toContain('<67>');
    expect(m.html).toMatch(/<th scope="row">En retard<\/th><td>2<\/td>/);
  });

  it('withhold the rates and buckets of an aggregate of fewer than two BALF', () => {
    const m = renderDigest(
      {
        ...DIGEST,
        withheld: true,
        rates: { lastWeek: null, weekBefore: null, lastYear: null },
        backlog: { asOf: '2025-06-30', buckets: null, oldestAgeDays: null },
        furthest: [],
      },
      LINKS,
    );
    expect(m.text.match(/non publié \(moins de deux BALF\)/g)).toHaveLength(4);
    expect(m.text).not.toMatch(/%|point/);
    expect(m.text).not.toContain('les plus éloignés');
  });

  it('write the alert with its threshold, singular when one message is late', () => {
    const m = renderAlert(
      {
        level: 'service',
        label: 'SIP Paris 1',
        target: { label: 'j5', workingDays: 5 },
        asOf: '2025-06-30',
        threshold: 1,
        buckets: { inTime: 0, dueSoon: 0, overdue: 1 },
        oldestAgeDays: 6,
      },
      LINKS,
    );
    expect(m.subject).toBe('Suivi BALF — alerte : 1 message en retard pour SIP Paris 1');
    expect(m.text).toContain(
      'Au lundi 30 juin 2025, SIP Paris 1 (service) compte 1 message en retard : un message d’usager sans réponse depuis plus de 5 jours ouvrés (votre seuil d’alerte : 1).',
    );
  });
});

describe('delivery timing', () => {
  it('backs off from one minute, doubling, to one hour at most', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffMs(n) / 60_000)).toEqual([
      1, 2, 4, 8, 16, 32, 60, 60, 60,
    ]);
  });

  it('reads the wall clock of each region (the digest is due at 07:00 where the service is)', () => {
    const monday = '2025-06-30T05:30:00Z';
    expect(localWallTime(monday, 'metropole')).toBe('2025-06-30T07:30');
    expect(localWallTime(monday, 'reunion')).toBe('2025-06-30T09:30');
    expect(localWallTime(monday, 'guadeloupe')).toBe('2025-06-30T01:30');
    // Winter time in Paris.
    expect(localWallTime('2025-12-01T06:00:00Z', 'metropole')).toBe('2025-12-01T07:00');
  });
});

describe('notifications CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'suivi-notif-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists subscriptions and the outbox, and refuses an unknown state', async () => {
    const file = join(dir, 'db.sqlite');
    const open = await openDatabase({ kind: 'sqlite', file });
    await user(open.db, 'chef', { level: 'national' });
    const sub = await saveSubscription(open.db, {
      login: 'chef',
      email: 'chef@exemple.fr',
      level: 'national',
      subjectId: 'national',
      digest: true,
      alertThreshold: 4,
      now: new Date('2025-06-27T10:00:00Z'),
    });
    const mail = { smtpUrl: 'smtp://relais', from: 'suivi@exemple.fr', publicUrl: 'https://s.fr' };
    await enqueue(
      open.db,
      {
        id: `digest:${sub.id}:2025-06-30`,
        subscription_id: sub.id,
        login: 'chef',
        email: 'chef@exemple.fr',
        kind: 'digest',
        level: 'national',
        subject_id: 'national',
        period: '2025-06-30',
        mail_subject: 's',
        text_body: 't',
        html_body: 'h',
      },
      mail,
      new Date('2025-06-30T05:30:00Z'),
    );
    await open.close();
    let out = '';
    let err = '';
    const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env: {}, stdin: process.stdin };
    expect(await notificationsCommand(['list', '--db', file], io)).toBe(0);
    expect(err).toContain('SUIVI_SMTP_URL n’est pas défini');
    expect(out).toMatch(
      /chef\s+chef@exemple\.fr\s+national\s+national\s+oui\s+4\s+2025-06-27T10:00:00\.000Z/,
    );
    out = '';
    expect(await notificationsCommand(['outbox', '--db', file, '--status', 'pending'], io)).toBe(0);
    expect(out).toMatch(
      /digest:\S+:2025-06-30\s+synthèse\s+chef@exemple\.fr\s+pending\s+0\s+2025-06-30T05:30:00\.000Z/,
    );
    out = '';
    expect(await notificationsCommand(['outbox', '--db', file, '--status', 'sent'], io)).toBe(0);
    expect(out).toBe('Aucun message.\n');
    await expect(notificationsCommand(['outbox', '--db', file, '--status', 'parti'], io)).rejects.toThrow(
      /État inconnu « parti »/,
    );
  });
});

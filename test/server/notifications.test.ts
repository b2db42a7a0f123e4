// Digest and alerts by e-mail on SQLite and PostgreSQL, through a real SMTP server on loopback: content
// read from the backlog API, one-click unsubscribe, relay down or refusing then back (sent once), lost access.
import { simpleParser } from 'mailparser';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig, type ServerConfig } from '../../src/server/config.ts';
import type { OpenDb } from '../../src/server/db/connect.ts';
import { smtpSender, type MailSender } from '../../src/server/notifications/mailer.ts';
import { deliverDue } from '../../src/server/notifications/outbox.ts';
import { scheduleDue } from '../../src/server/notifications/schedule.ts';
import { startNotificationService } from '../../src/server/notifications/service.ts';
import { startSmtpServer, type SmtpServer } from '../support/smtp/smtp-server.ts';
import { login, user, type Session } from './auth-support.ts';
import {
  batch,
  databaseKinds,
  newKey,
  openTestDb,
  post,
  seedDirectory,
  token,
  type RecordInput,
} from './support.ts';

const A1 = 'sip.a1@dgfip.finances.gouv.fr';
const A2 = 'sip.a2@dgfip.finances.gouv.fr';
const B1 = 'sip.b1@dgfip.finances.gouv.fr';
const CHEF = 'chef.a@dgfip.finances.gouv.fr';
/** Friday before the digest; Monday 30 June 2025, 07:30 in Paris. */
const FRIDAY = '2025-06-27T10:00:00Z';
const MONDAY_0630 = '2025-06-30T04:30:00Z';
const MONDAY_0730 = '2025-06-30T05:30:00Z';

function message(at: string, answeredAt?: string): RecordInput[] {
  const k = newKey();
  const out: RecordInput[] = [{ k, dir: 'in', at, cat: 'usager' }];
  if (answeredAt) out.push({ k: newKey(), dir: 'out', at: answeredAt, cat: 'reply', re: [k] });
  return out;
}

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => smtp?.close());

describe.each(databaseKinds)('notifications by e-mail on %s', (kind) => {
  let opened: OpenDb;
  let app: FastifyInstance;
  let config: ServerConfig & { mail: NonNullable<ServerConfig['mail']> };
  let sender: MailSender;
  const now = { value: new Date(FRIDAY) };
  let write: string;
  let chef: Session;
  const overdueKey = { k: '' };

  beforeEach(async () => {
    smtp.messages.length = 0;
    smtp.refuse(null);
    await smtp.start();
    opened = await openTestDb(kind);
    const loaded = loadConfig({
      SUIVI_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SUIVI_MAIL_FROM: 'Suivi BALF <suivi-balf@dgfip.finances.gouv.fr>',
      SUIVI_PUBLIC_URL: 'https://suivi-balf.exemple.gouv.fr',
    });
    config = { ...loaded, mail: loaded.mail! };
    sender = smtpSender(config.mail);
    now.value = new Date(FRIDAY);
    app = await buildApp({ db: opened.db, clock: () => now.value, rateLimit: false, config });
    await seedDirectory(opened.db, [
      { department: '75', region: 'metropole', service: 'SIP-A', balfs: [A1, A2] },
      { department: '75', region: 'metropole', service: 'SIP-B', balfs: [B1] },
    ]);
    write = await token(opened.db, { level: 'national' });
    const first = message('2025-06-16T09:00:00Z');
    overdueKey.k = first[0]!.k;
    const records = [
      ...first, // unanswered: overdue from 24 June
      ...message('2025-06-17T09:00:00Z'), // overdue from 25 June
      ...message('2025-06-18T09:00:00Z', '2025-06-19T09:00:00Z'),
      ...message('2025-06-20T09:00:00Z'), // age 5 on Friday 27 (due), 6 on Monday 30: overdue
      ...message('2025-06-23T09:00:00Z', '2025-06-24T09:00:00Z'),
      ...message('2025-06-24T09:00:00Z'), // due soon on Monday 30
      ...message('2025-06-27T09:00:00Z'),
    ];
    expect((await post(app, write, batch(A1, records))).statusCode).toBe(200);
    expect(
      (await post(app, write, batch(A2, message('2025-06-25T09:00:00Z', '2025-07-01T09:00:00Z')))).statusCode,
    ).toBe(200);
    expect((await post(app, write, batch(B1, message('2025-06-23T09:00:00Z')))).statusCode).toBe(200);
    await user(opened.db, CHEF, { level: 'service', code: 'SIP-A' });
    await user(opened.db, 'dept75', { level: 'department', code: '75' });
    chef = await login(app, CHEF);
  });
  afterEach(async () => {
    sender.close();
    await app.close();
    await opened.close();
  });

  const as = (s: Session) => ({ cookie: s.cookie, 'x-csrf-token': s.csrfToken });
  const subscribe = async (s: Session, body: Record<string, unknown>) => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/subscriptions',
      headers: as(s),
      payload: body,
    });
    return res;
  };
  const outbox = () => opened.db.selectFrom('notification_outbox').selectAll().orderBy('id').execute();

  it('sends the Monday digest once, with the backlog API’s figures, and the one-click link unsubscribes', async () => {
    const saved = await subscribe(chef, {
      level: 'service',
      id: 'SIP-A',
      email: CHEF,
      digest: true,
      alertThreshold: null,
    });
    expect(saved.statusCode, saved.body).toBe(200);

    now.value = new Date(MONDAY_0630);
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).digests).toBe(0);
    now.value = new Date(MONDAY_0730);
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).digests).toBe(1);
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).digests).toBe(0);
    expect(await deliverDue(opened.db, sender, config.mail, now.value)).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
      cancelled: 0,
    });
    expect(await deliverDue(opened.db, sender, config.mail, now.value)).toMatchObject({ sent: 0 });
    expect(smtp.messages).toHaveLength(1);

    const received = smtp.messages[0]!;
    expect(received.to).toEqual([CHEF]);
    const mail = await simpleParser(received.text);
    expect(mail.subject).toBe('Suivi BALF — synthèse de la semaine du 23 juin : Service SIP-A');
    expect(received.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(received.headers['auto-submitted']).toBe('auto-generated');
    const link =
      /^<(https:\/\/suivi-balf\.exemple\.gouv\.fr\/api\/v1\/notifications\/unsubscribe\?t=[\w-]+)>$/.exec(
        received.headers['list-unsubscribe'] ?? '',
      );
    expect(link, received.headers['list-unsubscribe']).not.toBeNull();

    // Figures: the backlog API's own answer for the same node and day.
    const reader = {
      authorization: `Bearer ${await token(opened.db, { level: 'department', code: '75' }, false)}`,
    };
    const api = await app.inject({
      method: 'GET',
      url: '/api/v1/backlog?level=service&id=SIP-A',
      headers: reader,
    });
    const backlog = api.json<{
      asOf: string;
      buckets: { inTime: number; dueSoon: number; overdue: number };
    }>();
    expect(api.statusCode, api.body).toBe(200);
    expect(backlog.asOf).toBe('2025-06-30');
    expect(backlog.buckets).toEqual({ inTime: 2, dueSoon: 1, overdue: 3 });
    const text = mail.text ?? '';
    expect(text).toContain('À traiter au lundi 30 juin 2025 :');
    expect(text).toContain(`- Dans le délai : ${backlog.buckets.inTime}`);
    expect(text).toContain(`- À échéance (réponse due aujourd’hui ou demain) : ${backlog.buckets.dueSoon}`);
    expect(text).toContain(`- En retard : ${backlog.buckets.overdue}`);
    expect(text).toContain('Message en attente le plus ancien : 10 jours ouvrés.');
    // Last week (23–29 June): one answered in time, none overdue yet; the week before: 1 in time of 4.
    const stats = await app.inject({
      method: 'GET',
      url: '/api/v1/stats?level=service&id=SIP-A&from=2025-06-23&to=2025-06-29',
      headers: reader,
    });
    expect(stats.json().totals.complianceRate).toBe(1);
    expect(text).toMatch(/Semaine dernière, du lundi 23 juin 2025 au dimanche 29 juin 2025 : 100\s%/);
    expect(text).toMatch(/Semaine précédente : 25\s%/);
    expect(text).toContain('Même semaine l’an dernier : aucun message à échéance');
    expect(text).toContain(
      'Tableau de bord : https://suivi-balf.exemple.gouv.fr/#/stats?level=service&id=SIP-A&from=2025-06-23&to=2025-06-29',
    );
    expect(mail.html).toContain('<html lang="fr">');
    expect(mail.html).toContain('<caption>');

    // A browser opening the link only sees a confirmation; the RFC 8058 POST unsubscribes.
    chef = await login(app, CHEF);
    const url = new URL(link![1]!);
    const page = await app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirmer le désabonnement');
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/notifications/subscriptions',
          headers: { cookie: chef.cookie },
        })
      ).json().subscriptions,
    ).toHaveLength(1);
    const oneClick = await app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode, oneClick.body).toBe(200);
    expect(oneClick.body).toContain('Désabonnement effectué');
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/notifications/subscriptions',
          headers: { cookie: chef.cookie },
        })
      ).json().subscriptions,
    ).toEqual([]);
    // Sent again by the mail client: still 200.
    const again = await app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(again.statusCode).toBe(200);
    now.value = new Date('2025-07-07T05:30:00Z');
    expect(await scheduleDue(opened.db, config, config.mail, now.value)).toEqual({ digests: 0, alerts: 0 });
  });

  it('keeps a message while the relay is down or answers 451, retries with backoff, and sends it once when back', async () => {
    await subscribe(chef, { level: 'service', id: 'SIP-A', email: CHEF, digest: true, alertThreshold: null });
    now.value = new Date(MONDAY_0730);
    await scheduleDue(opened.db, config, config.mail, now.value);
    const t0 = now.value.getTime();
    const at = (ms: number) => new Date(t0 + ms);

    smtp.refuse({ code: 451, message: 'Relais surchargé, réessayez' });
    expect(await deliverDue(opened.db, sender, config.mail, at(0))).toMatchObject({ sent: 0, retried: 1 });
    let [row] = await outbox();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: at(60_000).toISOString() });
    expect(row!.last_error).toMatch(/451/);

    smtp.refuse(null);
    await smtp.stop();
    expect(await deliverDue(opened.db, sender, config.mail, at(30_000))).toMatchObject({
      sent: 0,
      retried: 0,
    });
    expect(await deliverDue(opened.db, sender, config.mail, at(60_000))).toMatchObject({
      sent: 0,
      retried: 1,
    });
    [row] = await outbox();
    expect(row).toMatchObject({ status: 'pending', attempts: 2, next_attempt_at: at(180_000).toISOString() });
    expect(row!.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);

    await smtp.start();
    expect(await deliverDue(opened.db, sender, config.mail, at(179_000))).toMatchObject({ sent: 0 });
    expect(await deliverDue(opened.db, sender, config.mail, at(180_000))).toMatchObject({ sent: 1 });
    expect(await deliverDue(opened.db, sender, config.mail, at(3_600_000))).toMatchObject({
      sent: 0,
      retried: 0,
    });
    [row] = await outbox();
    expect(row).toMatchObject({
      status: 'sent',
      attempts: 3,
      sent_at: at(180_000).toISOString(),
      last_error: null,
    });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.headers['message-id']).toBe(row!.message_id);
  });

  it('drops a message the relay refuses for good (5xx), without retrying it', async () => {
    await subscribe(chef, { level: 'service', id: 'SIP-A', email: CHEF, digest: true, alertThreshold: null });
    now.value = new Date(MONDAY_0730);
    await scheduleDue(opened.db, config, config.mail, now.value);
    smtp.refuse({ code: 550, message: 'Destinataire refusé' });
    expect(await deliverDue(opened.db, sender, config.mail, now.value)).toMatchObject({
      failed: 1,
      retried: 0,
    });
    smtp.refuse(null);
    expect(
      await deliverDue(opened.db, sender, config.mail, new Date(now.value.getTime() + 86_400_000)),
    ).toMatchObject({ sent: 0 });
    const [row] = await outbox();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toMatch(/550/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('sends nothing about a node the user can no longer see', async () => {
    const dept = await login(app, 'dept75');
    expect(
      (
        await subscribe(dept, {
          level: 'service',
          id: 'SIP-A',
          email: 'dept75@dgfip.finances.gouv.fr',
          digest: true,
          alertThreshold: 1,
        })
      ).statusCode,
    ).toBe(200);
    now.value = new Date(MONDAY_0730);
    expect(await scheduleDue(opened.db, config, config.mail, now.value)).toEqual({ digests: 1, alerts: 1 });
    // The administrator moves the user to another department before the round delivers.
    await opened.db
      .updateTable('users')
      .set({ scope: 'department:67' })
      .where('login', '=', 'dept75')
      .execute();
    expect(await deliverDue(opened.db, sender, config.mail, now.value)).toMatchObject({
      sent: 0,
      cancelled: 2,
    });
    expect((await outbox()).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    now.value = new Date('2025-07-07T05:30:00Z');
    expect(await scheduleDue(opened.db, config, config.mail, now.value)).toEqual({ digests: 0, alerts: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it('alerts when the « en retard » count reaches the threshold, once per node and day', async () => {
    expect(
      (
        await subscribe(chef, {
          level: 'service',
          id: 'SIP-A',
          email: CHEF,
          digest: false,
          alertThreshold: 3,
        })
      ).statusCode,
    ).toBe(200);
    // Friday: two overdue (16 and 17 June), below the threshold.
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(0);
    // Monday: the message of 20 June becomes overdue too.
    now.value = new Date(MONDAY_0730);
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(1);
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(0);
    // Back below (an answer), then above again the same day (a late upload): no second alert today.
    await post(
      app,
      write,
      batch(A1, [{ k: newKey(), dir: 'out', at: '2025-06-30T05:00:00Z', cat: 'reply', re: [overdueKey.k] }]),
    );
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(0);
    await post(app, write, batch(A1, message('2025-06-10T09:00:00Z')));
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(0);
    expect(await deliverDue(opened.db, sender, config.mail, now.value)).toMatchObject({ sent: 1 });
    const mail = await simpleParser(smtp.messages[0]!.text);
    expect(mail.subject).toBe('Suivi BALF — alerte : 3 messages en retard pour Service SIP-A');
    expect(mail.text).toContain('(votre seuil d’alerte : 3)');
    expect(smtp.messages[0]!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    // The next day counts afresh: still above, but no crossing — no alert until it falls and rises again.
    now.value = new Date('2025-07-01T05:30:00Z');
    expect((await scheduleDue(opened.db, config, config.mail, now.value)).alerts).toBe(0);
  });

  it('runs as a service: the first round schedules and delivers, logged, and stops cleanly', async () => {
    await subscribe(chef, { level: 'service', id: 'SIP-A', email: CHEF, digest: true, alertThreshold: 2 });
    const logged: string[] = [];
    const log = (msg: unknown, text?: string) => logged.push(String(text ?? msg));
    const service = startNotificationService(
      opened.db,
      config,
      { info: log, warn: log, error: log },
      { clock: () => new Date(MONDAY_0730), sender: smtpSender(config.mail), intervalMs: 3_600_000 },
    );
    await service.last;
    await service.stop();
    const subjects = await Promise.all(smtp.messages.map(async (m) => (await simpleParser(m.text)).subject));
    expect(subjects.sort()).toEqual([
      'Suivi BALF — alerte : 3 messages en retard pour Service SIP-A',
      'Suivi BALF — synthèse de la semaine du 23 juin : Service SIP-A',
    ]);
    expect(logged).toEqual(['notifications par courriel']);
  });

  it('lets a user subscribe within their scope only, and says when e-mail is off', async () => {
    expect(
      (
        await subscribe(chef, {
          level: 'service',
          id: 'SIP-B',
          email: CHEF,
          digest: true,
          alertThreshold: null,
        })
      ).statusCode,
    ).toBe(404);
    const bad = await subscribe(chef, {
      level: 'service',
      id: 'SIP-A',
      email: 'pas-une-adresse',
      digest: true,
      alertThreshold: 0,
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['alertThreshold', 'email']);
    const first = await subscribe(chef, {
      level: 'service',
      id: 'SIP-A',
      email: CHEF,
      digest: true,
      alertThreshold: null,
    });
    const second = await subscribe(chef, {
      level: 'service',
      id: 'SIP-A',
      email: 'autre@dgfip.finances.gouv.fr',
      digest: false,
      alertThreshold: 5,
    });
    expect(second.json()).toMatchObject({
      id: first.json().id,
      email: 'autre@dgfip.finances.gouv.fr',
      digest: false,
      alertThreshold: 5,
      label: 'Service SIP-A',
      inScope: true,
    });
    const dept = await login(app, 'dept75');
    const theirs = await app.inject({
      method: 'DELETE',
      url: `/api/v1/notifications/subscriptions?id=${first.json().id}`,
      headers: as(dept),
    });
    expect(theirs.statusCode).toBe(404);
    const mine = await app.inject({
      method: 'DELETE',
      url: `/api/v1/notifications/subscriptions?id=${first.json().id}`,
      headers: as(chef),
    });
    expect(mine.statusCode).toBe(200);

    const off = await buildApp({
      db: opened.db,
      clock: () => now.value,
      rateLimit: false,
      config: loadConfig({}),
    });
    try {
      const session = await login(off, CHEF);
      const listed = await off.inject({
        method: 'GET',
        url: '/api/v1/notifications/subscriptions',
        headers: { cookie: session.cookie },
      });
      expect(listed.json()).toMatchObject({
        enabled: false,
        reason: expect.stringContaining('SUIVI_SMTP_URL'),
      });
      const refused = await off.inject({
        method: 'PUT',
        url: '/api/v1/notifications/subscriptions',
        headers: as(session),
        payload: { level: 'service', id: 'SIP-A', email: CHEF, digest: true, alertThreshold: null },
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().message).toContain('SUIVI_SMTP_URL');
    } finally {
      await off.close();
    }
  });
});

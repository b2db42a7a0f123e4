/**
 * What is due now: each subscription's weekly digest (Monday 07:00 in its node's time zone) and
 * its alert when the « en retard » count crosses the user's threshold (one per node and day at
 * most). Each message is rendered once into the outbox under a key of its period, so several
 * instances, or a restart, never make it twice.
 */
import { isoWeekStart, localDay, timeZoneForRegion, type Region } from '../../core/calendar.ts';
import type { BacklogAnswer } from '../../core/backlog.ts';
import type { ServerConfig } from '../config.ts';
import { currentTargets } from '../config.ts';
import type { Db } from '../db/schema.ts';
import { pickTarget } from '../stats/target.ts';
import type { MailConfig } from './config.ts';
import { alertModel, backlogNow, digestFigures } from './figures.ts';
import { dashboardUrl, enqueue, outboxHas, unsubscribeUrl } from './outbox.ts';
import { listSubscriptions, setAlertAbove, subjectForUser, type Subscription } from './subscriptions.ts';
import { renderAlert, renderDigest } from './templates.ts';
import { subjectRegion } from '../backlog/region.ts';

/** Local hour at which the weekly digest is due on Mondays. */
export const DIGEST_HOUR = '07:00';

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DDTHH:mm` of an instant on the wall clocks of the region. */
export function localWallTime(instant: Date | string, region: Region): string {
  const zone = timeZoneForRegion(region);
  let f = wallClocks.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    wallClocks.set(zone, f);
  }
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  return `${localDay(d, region)}T${f.format(d)}`;
}

export interface ScheduleReport {
  digests: number;
  alerts: number;
}

/** Subscriptions grouped by the node they are about, each node's figures read once per round. */
async function subjectsOf(db: Db, subscriptions: Subscription[]) {
  const out: {
    subscription: Subscription;
    subject: NonNullable<Awaited<ReturnType<typeof subjectForUser>>>;
  }[] = [];
  for (const subscription of subscriptions) {
    const subject = await subjectForUser(db, subscription.login, subscription.level, subscription.subjectId);
    // A user who lost access to the node gets nothing about it (the subscription waits, unused).
    if (subject) out.push({ subscription, subject });
  }
  return out;
}

export async function scheduleDue(
  db: Db,
  config: ServerConfig,
  mail: MailConfig,
  now: Date,
  what: { digests: boolean; alerts: boolean } = { digests: true, alerts: true },
): Promise<ScheduleReport> {
  const report: ScheduleReport = { digests: 0, alerts: 0 };
  const all = await listSubscriptions(db);
  const wanted = all.filter(
    (s) => (what.digests && s.digestSince !== null) || (what.alerts && s.alertThreshold !== null),
  );
  if (wanted.length === 0) return report;
  const target = await pickTarget(db, config, undefined, 'Cible principale introuvable.');
  const targetLabel = (await currentTargets(db, config)).targets.find((t) => t.id === target.id)!.label;
  const o = { now, whitMondayWorked: config.whitMondayWorked, target };
  const backlogs = new Map<string, Promise<BacklogAnswer>>();
  for (const { subscription: s, subject } of await subjectsOf(db, wanted)) {
    const links = {
      unsubscribeUrl: unsubscribeUrl(mail, s.token),
      dashboardUrl: dashboardUrl(mail, subject.level, subject.id),
    };
    const base = {
      subscription_id: s.id,
      login: s.login,
      email: s.email,
      level: subject.level,
      subject_id: subject.id,
    };
    if (what.digests && s.digestSince !== null) {
      const region = await subjectRegion(db, subject);
      const wall = localWallTime(now, region);
      const week = isoWeekStart(wall.slice(0, 10));
      const due = `${week}T${DIGEST_HOUR}`;
      const id = `digest:${s.id}:${week}`;
      // Due from Monday 07:00 until the end of the week (a server down on Monday sends it later);
      // not for a week whose Monday 07:00 came before the subscription.
      if (wall >= due && localWallTime(s.digestSince, region) < due && !(await outboxHas(db, id))) {
        const figures = await digestFigures(db, subject, targetLabel, o);
        const rendered = renderDigest(figures.model, {
          ...links,
          dashboardUrl: dashboardUrl(mail, subject.level, subject.id, figures.model.week),
        });
        if (
          await enqueue(
            db,
            { ...base, id, kind: 'digest', period: week, ...mailColumns(rendered) },
            mail,
            now,
          )
        )
          report.digests++;
      }
    }
    if (what.alerts && s.alertThreshold !== null) {
      const key = `${subject.level}:${subject.id}`;
      let backlog = backlogs.get(key);
      if (!backlog) backlogs.set(key, (backlog = backlogNow(db, subject, o)));
      const answer = await backlog;
      const model = alertModel(subject, answer, s.alertThreshold, {
        label: targetLabel,
        workingDays: target.workingDays,
      });
      const above = model !== null && model.buckets.overdue >= s.alertThreshold;
      if (above && !s.alertAbove) {
        const id = `alert:${s.id}:${answer.asOf}`;
        if (
          await enqueue(
            db,
            { ...base, id, kind: 'alert', period: answer.asOf, ...mailColumns(renderAlert(model, links)) },
            mail,
            now,
          )
        )
          report.alerts++;
      }
      if (above !== s.alertAbove) await setAlertAbove(db, s.id, above);
    }
  }
  return report;
}

function mailColumns(r: { subject: string; text: string; html: string }) {
  return { mail_subject: r.subject, text_body: r.text, html_body: r.html };
}

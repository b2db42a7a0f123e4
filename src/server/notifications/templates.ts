/**
 * The digest and alert messages in French, plain text and accessible HTML, from figures alone (no
 * subject, no address of any usager): pure functions, so each message is checked without sending.
 */
import type { BacklogBuckets } from '../../core/backlog.ts';
import type { Level } from '../../core/protocol.ts';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface Links {
  dashboardUrl: string;
  unsubscribeUrl: string;
}

export interface DigestChild {
  label: string;
  /** Compliance rate of last week; null when nothing was due. */
  rate: number | null;
  overdue: number;
}

export interface DigestModel {
  level: Level;
  label: string;
  target: { label: string; workingDays: number };
  /** Monday and Sunday of last week. */
  week: { from: string; to: string };
  /** Compliance rates; null when nothing was due, or withheld (fewer than two BALF above a service). */
  rates: { lastWeek: number | null; weekBefore: number | null; lastYear: number | null };
  withheld: boolean;
  backlog: { asOf: string; buckets: BacklogBuckets | null; oldestAgeDays: number | null };
  /** At most five, furthest from the target first. */
  furthest: DigestChild[];
  childLevel: Level | null;
}

export interface AlertModel {
  level: Level;
  label: string;
  target: { label: string; workingDays: number };
  asOf: string;
  threshold: number;
  buckets: BacklogBuckets;
  oldestAgeDays: number | null;
}

const LEVEL_NAMES: Record<Level, string> = {
  national: 'niveau national',
  department: 'département',
  service: 'service',
  balf: 'BALF',
};
const CHILD_NAMES: Record<Level, string> = {
  national: 'niveaux',
  department: 'départements',
  service: 'services',
  balf: 'BALF',
};

const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const points = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1, signDisplay: 'always' });
const longDate = new Intl.DateTimeFormat('fr-FR', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const shortDate = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', timeZone: 'UTC' });

export const frenchDay = (day: string): string => longDate.format(new Date(`${day}T12:00:00Z`));
const frenchShortDay = (day: string): string => shortDate.format(new Date(`${day}T12:00:00Z`));

function rateText(rate: number | null, withheld: boolean): string {
  if (withheld) return 'non publié (moins de deux BALF)';
  return rate === null ? 'aucun message à échéance' : percent.format(rate);
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function page(title: string, body: string, links: Links, why: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="fr">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: Marianne, Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #161616">',
    body,
    `<p><a href="${escapeHtml(links.dashboardUrl)}">Ouvrir le tableau de bord Suivi BALF</a></p>`,
    `<hr><p style="font-size: 14px">${escapeHtml(why)} ` +
      `<a href="${escapeHtml(links.unsubscribeUrl)}">Se désabonner en un clic</a>.</p>`,
    '</body></html>',
  ].join('\n');
}

/** Dashboard link, signature separator, why the reader gets this, and the unsubscribe link. */
function textFooter(links: Links, why: string): string[] {
  return [
    '',
    `Tableau de bord : ${links.dashboardUrl}`,
    '',
    '-- ',
    why,
    `Se désabonner en un clic : ${links.unsubscribeUrl}`,
    '',
  ];
}

function bucketLines(b: BacklogBuckets): [string, number][] {
  return [
    ['Dans le délai', b.inTime],
    ['À échéance (réponse due aujourd’hui ou demain)', b.dueSoon],
    ['En retard', b.overdue],
  ];
}

function bucketTable(caption: string, b: BacklogBuckets): string {
  const rows = bucketLines(b)
    .map(([name, n]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${n}</td></tr>`)
    .join('');
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr><th scope="col">État</th><th scope="col">Messages</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderDigest(m: DigestModel, links: Links): RenderedMail {
  const where = `${m.label} (${LEVEL_NAMES[m.level]})`;
  const subject = `Suivi BALF — synthèse de la semaine du ${frenchShortDay(m.week.from)} : ${m.label}`;
  const goal = `objectif : réponse en ${plural(m.target.workingDays, 'jour ouvré', 'jours ouvrés')} au plus`;
  const delta =
    !m.withheld && m.rates.lastWeek !== null && m.rates.weekBefore !== null
      ? ` (${points.format((m.rates.lastWeek - m.rates.weekBefore) * 100)} point(s) sur la semaine précédente)`
      : '';
  const rateRows: [string, string][] = [
    [
      `Semaine dernière, du ${frenchDay(m.week.from)} au ${frenchDay(m.week.to)}`,
      rateText(m.rates.lastWeek, m.withheld) + delta,
    ],
    ['Semaine précédente', rateText(m.rates.weekBefore, m.withheld)],
    ['Même semaine l’an dernier', rateText(m.rates.lastYear, m.withheld)],
  ];
  const backlogTitle = `À traiter au ${frenchDay(m.backlog.asOf)}`;
  const oldest =
    m.backlog.oldestAgeDays === null
      ? 'Aucun message en attente de réponse.'
      : `Message en attente le plus ancien : ${plural(m.backlog.oldestAgeDays, 'jour ouvré', 'jours ouvrés')}.`;
  const childTitle = m.childLevel
    ? `Les ${m.furthest.length > 1 ? `${m.furthest.length} ` : ''}${CHILD_NAMES[m.childLevel]} les plus éloignés de l’objectif la semaine dernière`
    : null;
  const why = `Vous recevez cette synthèse chaque lundi parce que vous y êtes abonné(e) pour ${where}.`;

  const text = [
    'Bonjour,',
    '',
    `Voici la synthèse hebdomadaire de Suivi BALF pour ${where}.`,
    '',
    `Taux de réponse dans le délai (${goal}) :`,
    ...rateRows.map(([k, v]) => `- ${k} : ${v}`),
    '',
    `${backlogTitle} :`,
    ...(m.backlog.buckets === null
      ? ['- non publié (moins de deux BALF)']
      : [...bucketLines(m.backlog.buckets).map(([k, n]) => `- ${k} : ${n}`), oldest]),
    ...(childTitle && m.furthest.length > 0
      ? [
          '',
          `${childTitle} :`,
          ...m.furthest.map(
            (c, i) => `${i + 1}. ${c.label} — ${rateText(c.rate, false)} ; en retard : ${c.overdue}`,
          ),
        ]
      : []),
    ...textFooter(links, why),
  ].join('\n');

  const html = page(
    subject,
    [
      '<p>Bonjour,</p>',
      `<p>Voici la synthèse hebdomadaire de Suivi BALF pour <strong>${escapeHtml(where)}</strong>.</p>`,
      `<table><caption>Taux de réponse dans le délai (${escapeHtml(goal)})</caption>`,
      '<thead><tr><th scope="col">Période</th><th scope="col">Taux</th></tr></thead><tbody>',
      ...rateRows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
      '</tbody></table>',
      m.backlog.buckets === null
        ? `<p>${escapeHtml(backlogTitle)} : non publié (moins de deux BALF).</p>`
        : `${bucketTable(backlogTitle, m.backlog.buckets)}<p>${escapeHtml(oldest)}</p>`,
      childTitle && m.furthest.length > 0
        ? `<table><caption>${escapeHtml(childTitle)}</caption><thead><tr><th scope="col">Nom</th>` +
          '<th scope="col">Taux dans le délai</th><th scope="col">En retard</th></tr></thead><tbody>' +
          m.furthest
            .map(
              (c) =>
                `<tr><th scope="row">${escapeHtml(c.label)}</th><td>${escapeHtml(rateText(c.rate, false))}</td><td>${c.overdue}</td></tr>`,
            )
            .join('') +
          '</tbody></table>'
        : '',
    ].join('\n'),
    links,
    why,
  );
  return { subject, text, html };
}

export function renderAlert(m: AlertModel, links: Links): RenderedMail {
  const where = `${m.label} (${LEVEL_NAMES[m.level]})`;
  const late = plural(m.buckets.overdue, 'message en retard', 'messages en retard');
  const subject = `Suivi BALF — alerte : ${late} pour ${m.label}`;
  const lead =
    `Au ${frenchDay(m.asOf)}, ${where} compte ${late} : ${m.buckets.overdue > 1 ? 'des messages' : 'un message'} ` +
    `d’usager sans réponse depuis plus de ${plural(m.target.workingDays, 'jour ouvré', 'jours ouvrés')} ` +
    `(votre seuil d’alerte : ${m.threshold}).`;
  const oldest =
    m.oldestAgeDays === null
      ? ''
      : `Message en attente le plus ancien : ${plural(m.oldestAgeDays, 'jour ouvré', 'jours ouvrés')}.`;
  const why = `Vous recevez cette alerte (une par jour au plus) parce que vous l’avez demandée pour ${where}.`;
  const text = [
    'Bonjour,',
    '',
    lead,
    '',
    'À traiter :',
    ...bucketLines(m.buckets).map(([k, n]) => `- ${k} : ${n}`),
    ...(oldest ? [oldest] : []),
    ...textFooter(links, why),
  ].join('\n');
  const html = page(
    subject,
    [
      '<p>Bonjour,</p>',
      `<p>${escapeHtml(lead)}</p>`,
      bucketTable('À traiter', m.buckets),
      oldest ? `<p>${escapeHtml(oldest)}</p>` : '',
    ].join('\n'),
    links,
    why,
  );
  return { subject, text, html };
}

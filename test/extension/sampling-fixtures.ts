// Shared data for the sampling tests: a ledger of one BALF over several weeks (usager, interne and auto
// mail; replies in time, late, missing and heuristic), the real French strings, and the page's HTML.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localDay } from '../../src/core/calendar.ts';
import type { LedgerRow } from '../../src/extension/ledger.ts';
import { BALF, row, testConfig } from './helpers.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NOW = new Date('2026-11-25T15:00:00Z'); // a Wednesday; last week = 16–22 Nov 2026
export const config = testConfig();

const HOUR = 3_600_000;
const NAMES = ['claire.martin', 'j.dupont', 'nadia.benali', 'p.lefebvre', 'sci.les-tilleuls', 'm.nguyen'];
// One subject holds ';' and quotes on purpose (CSV quoting).
const SUBJECTS = [
  'Demande de délai de paiement',
  'Taxe foncière : question sur mon avis',
  'Attestation de résidence fiscale; envoi "urgent"',
  'Changement de situation familiale',
  'Remboursement de crédit d’impôt',
  'Prélèvement à la source : taux',
  'Contestation de majoration',
];

export interface Fixture {
  rows: LedgerRow[];
  /** Received usager keys by local day. */
  usager: LedgerRow[];
}

/**
 * `count` received messages from `start`, one every `stepHours`; every 7th is interne, every 11th auto.
 * Usager message i: i%4==0 answered the next day by reference, 1 answered 8 days later, 2 never,
 * 3 answered 2 days later by a reply whose link came from the subject heuristic.
 */
export function buildLedger(count: number, start = '2026-11-02T07:30:00Z', stepHours = 5): Fixture {
  const rows: LedgerRow[] = [];
  const usager: LedgerRow[] = [];
  const t0 = Date.parse(start);
  for (let i = 0; i < count; i += 1) {
    const at = new Date(t0 + i * stepHours * HOUR).toISOString();
    const cat = i % 11 === 0 ? 'auto' : i % 7 === 0 ? 'interne' : 'usager';
    const r = row({
      at,
      cat,
      correspondent: `${NAMES[i % NAMES.length]}${i}@example.org`,
      subject: i === 5 ? '=HYPERLINK("http://x";"piège")' : `${SUBJECTS[i % SUBJECTS.length]} (n° ${i})`,
    });
    rows.push(r);
    if (cat !== 'usager') continue;
    usager.push(r);
    const kind = i % 4;
    if (kind === 2) continue;
    const delayMs = kind === 0 ? 24 * HOUR : kind === 1 ? 8 * 24 * HOUR : 48 * HOUR;
    const replyAt = new Date(Date.parse(at) + delayMs).toISOString();
    if (Date.parse(replyAt) > NOW.getTime()) continue; // no reply from the future
    rows.push(
      row({
        dir: 'out',
        cat: 'reply',
        at: replyAt,
        re: [r.key],
        ...(kind === 3 ? { heuristic: true } : {}),
        correspondents: [r.correspondent ?? ''],
        subject: `RE: Demande n° ${i}`,
      }),
    );
  }
  // Noise: another BALF's message and a forward that answers nothing.
  rows.push(row({ balf: 'autre@dgfip.finances.gouv.fr', at: '2026-11-17T09:00:00Z' }));
  rows.push(row({ dir: 'out', cat: 'forward', at: '2026-11-18T09:00:00Z', re: [usager[0]?.key ?? ''] }));
  return { rows, usager };
}

/** The population the panel must use, computed independently: usager, BALF, local day in [from, to]. */
export function expectedPopulation(rows: readonly LedgerRow[], from: string, to: string): LedgerRow[] {
  return rows.filter(
    (r) =>
      r.balf === BALF &&
      r.dir === 'in' &&
      r.cat === 'usager' &&
      localDay(r.at, 'metropole') >= from &&
      localDay(r.at, 'metropole') <= to,
  );
}

/** First reply by reference (oracle: a plain scan, not matchReplies). */
export function firstReplyAt(rows: readonly LedgerRow[], key: string): string | null {
  let best: string | null = null;
  for (const r of rows) {
    if (r.dir !== 'out' || r.cat !== 'reply' || !(r.re ?? []).includes(key)) continue;
    if (best === null || Date.parse(r.at) < Date.parse(best)) best = r.at;
  }
  return best;
}

type Messages = Record<string, { message: string }>;
function loadMessages(lang: 'fr' | 'en'): Messages {
  return JSON.parse(
    readFileSync(join(ROOT, 'extension', '_locales', lang, 'messages.json'), 'utf8'),
  ) as Messages;
}
export const frMessages = loadMessages('fr');
export const enMessages = loadMessages('en');

/** getMessage over the real French file, with $1…$9 substitutions like Thunderbird. */
export function tFr(name: string, subs?: string | string[]): string {
  const entry = frMessages[name];
  if (!entry) throw new Error(`clé de traduction absente : ${name}`);
  const list = ([] as string[]).concat(subs ?? []);
  return entry.message.replace(/\$(\d)/g, (_m, d: string) => list[Number(d) - 1] ?? '');
}

/** The body of extension/sampling/sampling.html (scripts are not run in unit tests). */
export function pageBody(): string {
  const html = readFileSync(join(ROOT, 'extension', 'sampling', 'sampling.html'), 'utf8');
  const match = /<body[^>]*>([\s\S]*)<\/body>/.exec(html);
  if (!match?.[1]) throw new Error('sampling.html sans <body>');
  return match[1];
}

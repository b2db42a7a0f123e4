// Generates a large, plausible BALF (received questions and the BALF's replies) for benchmarks.
import { buildMessage } from './messages.ts';
import type { Maildir } from './maildir.ts';

export interface GeneratedBalf {
  received: number;
  sent: number;
  first: Date;
  last: Date;
  /** Message-IDs (no brackets) of every message written, received and sent. */
  ids: { received: string[]; sent: string[] };
  /** Received messages automatic only by their headers (see `automaticEvery`). */
  automatic: string[];
}

export interface GenerateOptions {
  balf: string;
  received: number;
  /** Replies; each answers a distinct received message (so `sent` ≤ `received`). */
  sent: number;
  /** Messages are spread over this many days before `now`. */
  days: number;
  now?: Date;
  /** Called every 5,000 messages. */
  progress?: (done: number) => void;
  /**
   * Every Nth received message is automatic by its headers alone (newsletter with List-Unsubscribe, notice
   * with Auto-Submitted, null Return-Path, Precedence: bulk, in turn), with an ordinary author and subject.
   */
  automaticEvery?: number;
}

/** Headers that make a message automatic, each with an ordinary author and subject. */
const AUTOMATIC_HEADERS: readonly Readonly<Record<string, string>>[] = [
  { 'List-Unsubscribe': '<mailto:desabonnement@editeur.example?subject=unsubscribe>' },
  { 'Auto-Submitted': 'auto-generated' },
  { 'Return-Path': '<>' },
  { Precedence: 'bulk' },
];

const SUBJECTS = [
  'Demande de délai de paiement',
  'Attestation de résidence fiscale',
  'Question sur ma taxe foncière',
  'Remboursement de trop-perçu',
  'Prélèvement à la source',
  'Changement de situation',
  'Avis de taxe d’habitation',
  'Rendez-vous au service',
];

/** Deterministic: message i always gets the same id, sender, subject and time for the same options. */
export async function generateBalf(maildir: Maildir, options: GenerateOptions): Promise<GeneratedBalf> {
  if (options.sent > options.received) throw new Error('plus de réponses que de messages reçus');
  const now = (options.now ?? new Date()).getTime();
  const span = options.days * 86_400_000;
  const step = Math.floor(span / Math.max(1, options.received));
  const start = now - span;
  const answerEvery = options.sent === 0 ? Infinity : options.received / options.sent;
  let done = 0;
  let sent = 0;
  const ids: GeneratedBalf['ids'] = { received: [], sent: [] };
  const automatic: string[] = [];
  const every = options.automaticEvery ?? 0;
  const tick = (): void => {
    done += 1;
    if (done % 5000 === 0) options.progress?.(done);
  };
  for (let i = 0; i < options.received; i += 1) {
    const date = new Date(Math.floor((start + i * step) / 1000) * 1000);
    const id = `q${i}.bench@exemple.fr`;
    const correspondent = `usager${i % 2000}@exemple.fr`;
    const subject = `${SUBJECTS[i % SUBJECTS.length]} n° ${i}`;
    const headers =
      every > 0 && i % every === every - 1
        ? AUTOMATIC_HEADERS[Math.floor(i / every) % AUTOMATIC_HEADERS.length]
        : undefined;
    await maildir.add(
      'INBOX',
      buildMessage({
        messageId: id,
        date,
        from: correspondent,
        to: options.balf,
        subject,
        ...(headers ? { headers } : {}),
      }),
      {
        receivedAt: date,
      },
    );
    ids.received.push(id);
    if (headers) automatic.push(id);
    tick();
    if (sent < options.sent && Math.floor(sent * answerEvery) === i) {
      // Answered one to three days later, capped at now.
      const replyDate = new Date(Math.min(now, date.getTime() + (1 + (i % 3)) * 86_400_000));
      await maildir.add(
        'Sent',
        buildMessage({
          messageId: `r${i}.bench@dgfip.finances.gouv.fr`,
          date: replyDate,
          from: options.balf,
          to: correspondent,
          subject: `Re: ${subject}`,
          inReplyTo: id,
          references: [id],
        }),
        { receivedAt: replyDate },
      );
      ids.sent.push(`r${i}.bench@dgfip.finances.gouv.fr`);
      sent += 1;
      tick();
    }
  }
  return { received: options.received, sent, first: new Date(start), last: new Date(now), ids, automatic };
}

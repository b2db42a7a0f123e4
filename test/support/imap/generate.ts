// Generates a large, plausible BALF (received questions and the BALF's replies) for benchmarks.
import { buildMessage } from './messages.ts';
import type { Maildir } from './maildir.ts';

export interface GeneratedBalf {
  received: number;
  sent: number;
  first: Date;
  last: Date;
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
}

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
  const tick = (): void => {
    done += 1;
    if (done % 5000 === 0) options.progress?.(done);
  };
  for (let i = 0; i < options.received; i += 1) {
    const date = new Date(Math.floor((start + i * step) / 1000) * 1000);
    const id = `q${i}.bench@exemple.fr`;
    const correspondent = `usager${i % 2000}@exemple.fr`;
    const subject = `${SUBJECTS[i % SUBJECTS.length]} n° ${i}`;
    await maildir.add(
      'INBOX',
      buildMessage({ messageId: id, date, from: correspondent, to: options.balf, subject }),
      {
        receivedAt: date,
      },
    );
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
      sent += 1;
      tick();
    }
  }
  return { received: options.received, sent, first: new Date(start), last: new Date(now) };
}

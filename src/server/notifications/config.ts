/** E-mail settings (`SUIVI_SMTP_URL`, `SUIVI_MAIL_FROM`), read once at start: off without a relay. */
import { z } from 'zod';

export interface MailConfig {
  /** nodemailer connection URL: smtp:// (STARTTLS when offered), smtps:// (TLS), user:password@ optional. */
  smtpUrl: string;
  /** The From address of every notification (the relay's SPF/DMARC decide which are accepted). */
  from: string;
  /** Base of the dashboard and unsubscribe links (SUIVI_PUBLIC_URL, required with a relay). */
  publicUrl: string;
}

/** Why e-mail is off, for the API and the start-up log. */
export const MAIL_OFF_REASON =
  'Notifications par courriel désactivées : SUIVI_SMTP_URL n’est pas défini sur le serveur.';

/** Credentials hidden, for logs and the CLI. */
export function redactSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(adresse illisible)';
  }
}

/**
 * Null when `SUIVI_SMTP_URL` is unset or empty (the feature is off). With it, the From address and
 * the public URL (links in every message) are required: a half-configured relay stops the start.
 */
export function parseMailConfig(env: NodeJS.ProcessEnv, publicUrl: string | null): MailConfig | null {
  const raw = env['SUIVI_SMTP_URL']?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `SUIVI_SMTP_URL doit être une adresse smtp:// ou smtps://, par exemple smtp://relais.exemple.gouv.fr:587 (reçu « ${redactSmtpUrl(raw)} »)`,
    );
  }
  if (!['smtp:', 'smtps:'].includes(url.protocol) || url.hostname === '') {
    throw new Error(
      'SUIVI_SMTP_URL doit être une adresse smtp:// (STARTTLS) ou smtps:// (TLS) avec un nom de relais, ' +
        `par exemple smtps://utilisateur:mot-de-passe@relais.exemple.gouv.fr:465 (reçu « ${redactSmtpUrl(raw)} »)`,
    );
  }
  const from = env['SUIVI_MAIL_FROM']?.trim() ?? '';
  if (!z.email().safeParse(from.replace(/^.*<([^>]*)>\s*$/, '$1')).success) {
    throw new Error(
      'SUIVI_MAIL_FROM doit donner l’adresse d’expédition des notifications quand SUIVI_SMTP_URL est défini, ' +
        `par exemple « Suivi BALF <suivi-balf@dgfip.finances.gouv.fr> » (reçu « ${from} »)`,
    );
  }
  if (publicUrl === null) {
    throw new Error(
      'SUIVI_PUBLIC_URL est obligatoire quand SUIVI_SMTP_URL est défini : les courriels portent les liens ' +
        'du tableau de bord et de désabonnement (par exemple https://suivi-balf.exemple.gouv.fr).',
    );
  }
  return { smtpUrl: raw, from, publicUrl };
}

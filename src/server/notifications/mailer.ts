/** Sends one notification through the SMTP relay (nodemailer) and says whether a failure is worth retrying. */
import nodemailer from 'nodemailer';
import type { MailConfig } from './config.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Same for every attempt of one outbox row: a copy sent twice is recognisable as one message. */
  messageId: string;
  /** https link of the one-click unsubscribe (RFC 8058). */
  unsubscribeUrl: string;
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Seconds the relay may take to connect, greet and answer each command before the attempt fails. */
const TIMEOUT_MS = 30_000;

export function smtpSender(config: MailConfig): MailSender {
  // Options given here are defaults: parameters in SUIVI_SMTP_URL (requireTLS=true, tls.servername…) win.
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  return {
    async send(mail) {
      await transport.sendMail({
        from: config.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        // The bare URI: RFC 8058 one-click readers expect exactly one https link, no comment.
        list: { unsubscribe: mail.unsubscribeUrl },
        headers: {
          // RFC 8058: the link above unsubscribes by a POST without any page to click through.
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          // RFC 3834: no vacation replies to an automatic message (and the add-on counts it as `auto`).
          'Auto-Submitted': 'auto-generated',
        },
      });
    },
    close() {
      transport.close();
    },
  };
}

/**
 * A 5xx reply to this message's envelope or content (unknown recipient, refused message) is the
 * relay's final word on it: trying again changes nothing. Everything else — 4xx, refused or dropped
 * connections, timeouts, a refused login (the relay's configuration, not the message) — is retried.
 */
export function isPermanentFailure(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown } | null;
  return (
    typeof e?.responseCode === 'number' &&
    e.responseCode >= 500 &&
    e.responseCode < 600 &&
    (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')
  );
}

/** The relay as a whole failed (down, TLS, login): the other messages would fail the same way now. */
export function isRelayFailure(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return !['EENVELOPE', 'EMESSAGE'].includes(code);
}

/** One line for the outbox log: code and reply, without the message itself. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const parts = [e.responseCode, e.code].filter((p) => p !== undefined && p !== null).map(String);
  const text = String(e.response ?? e.message ?? error).slice(0, 300);
  return `${parts.length > 0 ? `${parts.join(' ')} : ` : ''}${text}`;
}

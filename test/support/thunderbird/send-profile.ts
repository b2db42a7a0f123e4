// Profile prefs for sending from a real Thunderbird: several IMAP accounts (BALFs and the agent's own),
// one SMTP server on loopback for every identity, each identity saving its copy in its account's Sent.
import type { PrefValue } from './profile.ts';

export interface SendingAccount {
  /** Address of the identity, also the IMAP user name. */
  address: string;
  fullName: string;
  imapPort: number;
}

/**
 * Prefs for `accounts` (the first one replaces the harness's account1, the others become account3, 4…;
 * account2 stays Local Folders) and the SMTP server at `smtpPort`. Alerts use Thunderbird's own window
 * (not the desktop's notification service, absent here), which the tests can read.
 */
export function sendingPrefs(
  accounts: readonly SendingAccount[],
  smtpPort: number,
): Record<string, PrefValue> {
  const prefs: Record<string, PrefValue> = {
    'mail.smtpservers': 'smtp1',
    'mail.smtp.defaultserver': 'smtp1',
    'mail.smtpserver.smtp1.type': 'smtp',
    'mail.smtpserver.smtp1.hostname': '127.0.0.1',
    'mail.smtpserver.smtp1.port': smtpPort,
    'mail.smtpserver.smtp1.authMethod': 1,
    'mail.smtpserver.smtp1.try_ssl': 0,
    'mail.smtpserver.smtp1.username': '',
    'alerts.useSystemBackend': false,
    // Plain-text mail, no spell check nor attachment reminder prompt on send.
    'mail.identity.default.compose_html': false,
    'mail.SpellCheckBeforeSend': false,
    'mail.compose.attachment_reminder': false,
  };
  const keys: string[] = [];
  accounts.forEach((account, i) => {
    const n = i === 0 ? 1 : i + 2;
    keys.push(`account${n}`);
    const server = `mail.server.server${n}`;
    const identity = `mail.identity.id${n}`;
    Object.assign(prefs, {
      [`mail.account.account${n}.server`]: `server${n}`,
      [`mail.account.account${n}.identities`]: `id${n}`,
      [`${server}.type`]: 'imap',
      [`${server}.hostname`]: '127.0.0.1',
      [`${server}.port`]: account.imapPort,
      [`${server}.userName`]: account.address,
      [`${server}.name`]: account.address,
      [`${server}.socketType`]: 0,
      [`${server}.authMethod`]: 3,
      [`${server}.login_at_startup`]: true,
      [`${server}.check_new_mail`]: true,
      [`${server}.check_time`]: 1,
      [`${server}.use_idle`]: true,
      [`${server}.using_subscription`]: false,
      [`${identity}.useremail`]: account.address,
      [`${identity}.fullName`]: account.fullName,
      [`${identity}.valid`]: true,
      [`${identity}.smtpServer`]: 'smtp1',
      [`${identity}.fcc`]: true,
      [`${identity}.fcc_folder`]: `imap://${encodeURIComponent(account.address)}@127.0.0.1/Sent`,
    });
  });
  prefs['mail.accountmanager.accounts'] = [...keys, 'account2'].join(',');
  return prefs;
}

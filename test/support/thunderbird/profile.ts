// Builds a Thunderbird profile: one IMAP account on loopback (no password), sideloaded add-ons, quiet prefs.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type PrefValue = string | number | boolean;

export interface ImapAccount {
  port: number;
  /** The BALF address, used as identity e-mail and as IMAP user name. */
  address: string;
  fullName?: string;
  /** IMAP user name (PREAUTH ignores it, Thunderbird needs one). */
  userName?: string;
}

export interface SideloadedAddon {
  id: string;
  xpi: string;
}

export interface ProfileOptions {
  dir: string;
  imap: ImapAccount;
  addons?: readonly SideloadedAddon[];
  /** Extra or overriding prefs. */
  prefs?: Readonly<Record<string, PrefValue>>;
}

/** Prefs that make `console.*` calls of extension pages reach Thunderbird's stdout (see the board). */
export const CONSOLE_TO_STDOUT_PREFS: Readonly<Record<string, PrefValue>> = {
  'devtools.console.stdout.chrome': true,
  'devtools.console.stdout.content': true,
  'browser.dom.window.dump.enabled': true,
};

const QUIET_PREFS: Readonly<Record<string, PrefValue>> = {
  'mail.shell.checkDefaultClient': false,
  'mailnews.start_page.enabled': false,
  'mail.rights.override': true,
  'mail.provider.enabled': false,
  'mail.winsearch.firstRunDone': true,
  'mail.spotlight.firstRunDone': true,
  'mail.startup.enabledMailCheckOnce': true,
  'app.update.enabled': false,
  'app.update.auto': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'app.donation.eoy.version.viewed': 999,
  'browser.crashReports.unsubmittedCheck.autoSubmit2': false,
  'network.connectivity-service.enabled': false,
  'network.captive-portal-service.enabled': false,
  'mail.instrumentation.postUrl': '',
  'mailnews.auto_config.addons_url': '',
};

const SIDELOAD_PREFS: Readonly<Record<string, PrefValue>> = {
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 15,
  'xpinstall.signatures.required': false,
};

/** The account prefs: account1 = the IMAP BALF, account2 = Local Folders. */
export function accountPrefs(imap: ImapAccount): Record<string, PrefValue> {
  return {
    'mail.accountmanager.accounts': 'account1,account2',
    'mail.accountmanager.defaultaccount': 'account1',
    'mail.accountmanager.localfoldersserver': 'server2',
    'mail.account.account1.server': 'server1',
    'mail.account.account1.identities': 'id1',
    'mail.account.account2.server': 'server2',
    'mail.server.server1.type': 'imap',
    'mail.server.server1.hostname': '127.0.0.1',
    'mail.server.server1.port': imap.port,
    'mail.server.server1.userName': imap.userName ?? imap.address,
    'mail.server.server1.name': imap.address,
    'mail.server.server1.socketType': 0,
    'mail.server.server1.authMethod': 3,
    'mail.server.server1.login_at_startup': true,
    'mail.server.server1.check_new_mail': true,
    'mail.server.server1.check_time': 1,
    'mail.server.server1.use_idle': true,
    // Dovecot does not subscribe Sent & co. in a fresh Maildir; show every folder.
    'mail.server.server1.using_subscription': false,
    'mail.server.default.check_all_folders_for_new': true,
    'mail.server.server2.type': 'none',
    'mail.server.server2.hostname': 'Local Folders',
    'mail.server.server2.userName': 'nobody',
    'mail.server.server2.name': 'Local Folders',
    'mail.identity.id1.useremail': imap.address,
    'mail.identity.id1.fullName': imap.fullName ?? imap.address,
    'mail.identity.id1.valid': true,
  };
}

function prefLine(name: string, value: PrefValue): string {
  return `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`;
}

/** Writes `user.js` and the sideloaded `.xpi` files; returns the profile directory. */
export async function buildProfile(options: ProfileOptions): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const prefs: Record<string, PrefValue> = {
    ...QUIET_PREFS,
    ...SIDELOAD_PREFS,
    ...CONSOLE_TO_STDOUT_PREFS,
    ...accountPrefs(options.imap),
    ...options.prefs,
  };
  const text = Object.entries(prefs)
    .map(([name, value]) => prefLine(name, value))
    .join('\n');
  await writeFile(join(options.dir, 'user.js'), `${text}\n`);
  if (options.addons && options.addons.length > 0) {
    await mkdir(join(options.dir, 'extensions'), { recursive: true });
    for (const addon of options.addons) {
      await copyFile(addon.xpi, join(options.dir, 'extensions', `${addon.id}.xpi`));
    }
  }
  return options.dir;
}

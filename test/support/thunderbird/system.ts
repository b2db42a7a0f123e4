// Checks that the Debian packages the real-part tests need are there, and says how to install them.
import { accessSync, constants } from 'node:fs';
import { DOVECOT_IMAP } from '../imap/imap-server.ts';

export const THUNDERBIRD_BIN = '/usr/lib/thunderbird/thunderbird';
export const INSTALL_COMMAND = 'apt-get install -y thunderbird dovecot-imapd';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws with the exact install command when Thunderbird or Dovecot's `imap` is missing. */
export function requireThunderbirdAndDovecot(): void {
  const missing: string[] = [];
  if (!executable(THUNDERBIRD_BIN)) missing.push(`thunderbird (${THUNDERBIRD_BIN})`);
  if (!executable(DOVECOT_IMAP)) missing.push(`dovecot-imapd (${DOVECOT_IMAP})`);
  if (missing.length > 0) {
    throw new Error(
      `Paquets absents : ${missing.join(', ')}. Installez-les en root : ${INSTALL_COMMAND} ` +
        '(ou lancez scripts/setup-system.sh).',
    );
  }
}

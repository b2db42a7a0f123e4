#!/usr/bin/env bash
# Installs the Debian packages the real-part tests need (Thunderbird, Dovecot, Chromium, PostgreSQL, nginx).
# Runs before `npm test`; installs only what is missing; as non-root it names the exact command.
set -euo pipefail
need=()
command -v thunderbird >/dev/null 2>&1 || need+=(thunderbird)
# French language pack: the guides' screenshots show Thunderbird and the add-on in French.
[ -e /usr/lib/thunderbird/extensions/langpack-fr@thunderbird.mozilla.org.xpi ] || need+=(thunderbird-l10n-fr)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Chromium's French UI resources: date fields in the dashboard screenshots read jj/mm/aaaa.
[ -e /usr/lib/chromium/locales/fr.pak ] || need+=(chromium-l10n)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The shipped reverse-proxy configuration (deploy/server/) is tested with the real nginx.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v zip >/dev/null 2>&1 || need+=(zip)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Paquets manquants pour les tests / missing packages for the tests: ${need[*]}" >&2
  echo "Installez-les en root / install them as root:  apt-get update && apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "setup-system: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
# Debian starts the packaged services; the tests start their own instances on loopback.
systemctl disable --now dovecot postgresql nginx >/dev/null 2>&1 || true

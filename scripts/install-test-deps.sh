#!/usr/bin/env bash
# Installs ccctl with its test extras, plus what real-service tests need from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
# Headless chromium for the HTML report and web tests (from Debian; no browser download).
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
# Dovecot IMAP server for the email plugin's fetch tests (each test session starts its own
# private instance on 127.0.0.1; the system service is not used).
if ! [ -x /usr/sbin/dovecot ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd
fi

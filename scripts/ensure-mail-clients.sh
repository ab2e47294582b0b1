#!/usr/bin/env bash
# Installs the Debian mail clients that crates/panoramix-mail/tests/clients.rs drives
# against the gateway's SMTP and POP3 servers, when they are missing: msmtp (sends)
# and fetchmail (receives). Needs root and apt-get; `apt-get update` runs only if the
# first install attempt fails (stale or empty package lists). Idempotent: when both
# commands exist it does nothing. scripts/test.sh runs it before the native tests.
set -euo pipefail
if command -v msmtp >/dev/null && command -v fetchmail >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-mail-clients: install msmtp and fetchmail with your package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-mail-clients: apt-get install msmtp fetchmail"
if ! apt-get install -y -qq --no-install-recommends msmtp fetchmail >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends msmtp fetchmail >/dev/null
fi
command -v msmtp >/dev/null && command -v fetchmail >/dev/null

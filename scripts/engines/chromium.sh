#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser tests (tests/dashboard/), when missing.
# Idempotent, non-interactive (CI=true, no stdin); needs root to install. Playwright drives this
# binary through executable_path="/usr/bin/chromium": never run `playwright install`, which
# downloads a browser from the internet.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium.sh: $CHROMIUM is installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "chromium.sh: $CHROMIUM is missing; run as root to install it" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "chromium.sh: installing chromium"
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends chromium </dev/null
test -x "$CHROMIUM"
echo "chromium.sh: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

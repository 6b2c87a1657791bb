#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) for the tests that run
# the store, the end-to-end network and the fault suite on PostgreSQL, when missing.
# Idempotent, non-interactive (CI=true, no stdin); needs root to install. Installing starts no
# server here (no systemd): tests/fixtures/postgres.py runs initdb and pg_ctl itself.
set -euo pipefail

find_bin() {
  command -v initdb 2>/dev/null && return 0
  ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | grep . && return 0
  return 1
}

if initdb=$(find_bin); then
  echo "postgres.sh: $initdb is installed ($("$initdb" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres.sh: PostgreSQL is missing; run as root to install it" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "postgres.sh: installing postgresql"
# Keep the package from starting its own server on 5432 (Debian's policy-rc.d convention).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends postgresql </dev/null
initdb=$(find_bin)
id postgres >/dev/null
echo "postgres.sh: installed $("$initdb" --version 2>/dev/null || echo "$initdb")"

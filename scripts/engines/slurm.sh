#!/usr/bin/env bash
# Install Slurm (Debian's slurmctld, slurmd, slurm-client) and munge when they are missing.
# Idempotent, non-interactive (CI=true, no stdin); needs root. Installing starts no daemon: the
# test fixtures (tests/fixtures/slurm.py) start and stop every daemon themselves, by pid.
set -euo pipefail

need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || need+=(munge)

if [ ${#need[@]} -eq 0 ]; then
  echo "slurm.sh: slurmctld, slurmd, slurm-client and munge are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm.sh: missing ${need[*]}; run as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "slurm.sh: installing ${need[*]}"
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null
# The package `slurm` is a network-interface monitor, not this.
command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null
echo "slurm.sh: installed ${need[*]}"

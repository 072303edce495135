#!/usr/bin/env bash
# Stop the throwaway PostgreSQL cluster started by scripts/start_postgres.sh (if running).
set -euo pipefail
ROOT="${HARNESS_PG_DIR:-/tmp/harness-pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$BIN" ] && [ -f "$ROOT/data/PG_VERSION" ] || exit 0
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$BIN/pg_ctl" stop -D "$ROOT/data" -m fast >&2 || true
else
  "$BIN/pg_ctl" stop -D "$ROOT/data" -m fast >&2 || true
fi

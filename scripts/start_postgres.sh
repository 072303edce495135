#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL cluster for tests on 127.0.0.1 and print its
# SQLAlchemy URL on stdout. Idempotent: a second call finds it running and prints the URL.
#   HARNESS_PG_PORT  (default 54329)   HARNESS_PG_DIR (default /tmp/harness-pg)
# Usage: export HARNESS_TEST_PG_URL="$(scripts/start_postgres.sh)"
set -euo pipefail
PORT="${HARNESS_PG_PORT:-54329}"
ROOT="${HARNESS_PG_DIR:-/tmp/harness-pg}"
DATA="$ROOT/data"
DB=harness_test
log() { echo "start_postgres: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

as_pg() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$ROOT"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$ROOT"
if [ ! -f "$DATA/PG_VERSION" ]; then
  log "initdb in $DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >&2
fi
if ! as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PORT"
  as_pg "$BIN/pg_ctl" start -w -D "$DATA" -l "$ROOT/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c max_connections=200" >&2
fi
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAq)
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != 1 ]; then
  "${PSQL[@]}" -c "CREATE DATABASE $DB" >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"

#!/usr/bin/env bash
# Installs everything (fresh machine included) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# Debian's PostgreSQL on 127.0.0.1 (installed on first use) for the store's PostgreSQL tests.
if [ -z "${HARNESS_TEST_PG_URL:-}" ]; then
  HARNESS_TEST_PG_URL="$(bash scripts/start_postgres.sh | tail -n 1)"
  export HARNESS_TEST_PG_URL
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest -q "$@"

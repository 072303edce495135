#!/usr/bin/env bash
# The main job on a fresh machine: install, then gate two candidate upgrades of the bundled model
# (SmolLM2-135M-Instruct, fp32) on the bundled suites, and print both verdicts side by side:
#   int8  its int8 dynamically-quantized deployment: a real regression
#   bf16  the same weights run in bfloat16: a milder change (small drift; it still regresses on extraction, see README)
# Then the same fp32 model sampled at temperature 0.8 against itself with other seeds (qa suite, K = 5):
# outputs change, quality does not. Writes report.html / report.md / report-int8.json (int8),
# report-bf16.json and report-sampled.json; exits 0 when the comparisons ran (whatever their verdicts),
# 3 when a model could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
SUITES=(suites/ifeval.yaml suites/qa.yaml suites/extraction.yaml suites/summarization.yaml
        suites/safety.yaml suites/humaneval_smoke.yaml)
# Three sides (fp32, int8, bf16) of every suite take about an hour of CPU time; the first
# DEMO_LIMIT cases of each suite keep the demo under 10. DEMO_LIMIT=0 runs every case.
LIMIT=(--limit "${DEMO_LIMIT:-10}")
[ "${DEMO_LIMIT:-10}" = "0" ] && LIMIT=()
started=$(date +%s)
status=0
.venv/bin/harness compare "${SUITES[@]}" "${LIMIT[@]}" --baseline smollm2 --candidate smollm2-int8 --allow-code \
  --html report.html --markdown report.md --json report-int8.json "$@" || status=$?
[ "$status" -le 1 ] || exit "$status"
status=0
.venv/bin/harness compare "${SUITES[@]}" "${LIMIT[@]}" --baseline smollm2 --candidate smollm2-bf16 --allow-code \
  --json report-bf16.json "$@" || status=$?
[ "$status" -le 1 ] || exit "$status"
# Changed, not worse: the fp32 model sampled at temperature 0.8 against itself with other seeds (an A/A
# comparison): every answer changes, no regression is real, and the gate must not fail it.
status=0
.venv/bin/harness compare suites/qa.yaml "${LIMIT[@]}" --model smollm2 --param temperature=0.8 --samples 5 \
  --candidate-seed 1 --json report-sampled.json "$@" || status=$?
[ "$status" -le 1 ] || exit "$status"
echo
echo "== two candidate upgrades of the same model against the fp32 baseline, and sampling noise alone =="
.venv/bin/python scripts/demo_summary.py "int8 vs fp32=report-int8.json" "bf16 vs fp32=report-bf16.json" \
  "fp32 T=0.8 vs itself, other seeds=report-sampled.json"
echo "demo finished in $(( $(date +%s) - started )) s"

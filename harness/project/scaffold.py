"""``harness init``: a new project with a working example.

Writes ``harness.yaml`` (the bundled model, its int8 variant, a recorded-outputs
model, the database and a gate policy), one prompt, one suite, and a small replay
file so that ``harness run suites/capitals.yaml --model recorded`` works before any
model is installed. Existing files are never overwritten unless ``force`` is set.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError

HARNESS_YAML = """\
# harness project config. Every key is optional; see docs/tutorial.md.
models:
  smollm2: {backend: hf, gguf: bundled-smollm2}     # the bundled SmolLM2-135M-Instruct
  smollm2-int8: {base: smollm2, quantize: int8}       # the same model, int8-quantized
  recorded: {backend: replay, file: replays/capitals.jsonl}   # outputs recorded earlier
default_model: smollm2
database: sqlite:///.harness/history.db
suites: [suites]              # what `harness run` and `harness check` use when given no suites
# The gate policy: the built-in default, written out (docs/statistics.md explains each rule).
policy:
  critical_regressions: 0                       # fail on any regression of a `critical` case
  max_regressions: {value: 0, level: warn}      # warn on any other regression
  max_pass_rate_drop: 0.05                      # fail when a drop beyond 5 points is shown
"""

PROMPT_YAML = """\
# A versioned prompt. Change `version` when you change the wording on purpose.
id: short-answer
version: v1
system: Answer the question with a short phrase. Do not explain.
template: "{{ question }}"
params: {max_new_tokens: 24, temperature: 0}
"""

SUITE_YAML = """\
# A suite: cases rendered with a prompt, each checked by one or more checks.
# A case passes when all its checks pass. Reference: docs/suites.md.
id: capitals
description: Short factual answers about capitals.
prompt: prompts/short_answer.yaml
defaults:
  params: {max_new_tokens: 24}
  checks:
    - {type: max-length, value: 200}
cases:
  - id: france
    vars: {question: "What is the capital of France?"}
    reference: Paris
    tags: [critical]
    checks:
      - {type: icontains, value: paris}
      - {type: rouge-l, min: 0.1}          # against `reference`
    paraphrases:
      - {question: "Which city is the capital of France?"}
  - id: japan
    vars: {question: "What is the capital of Japan?"}
    reference: Tokyo
    checks:
      - {type: icontains, value: tokyo}
  - id: canada
    vars: {question: "What is the capital of Canada?"}
    reference: Ottawa
    checks:
      - {type: icontains, value: ottawa}
  - id: one-word
    vars: {question: "What is the capital of Italy? Answer with one word."}
    reference: Rome
    checks:
      - {type: icontains, value: rome}
      - {type: word-count, max: 2}
"""

REPLAY_JSONL = """\
{"case": "france", "sample": 0, "output": "The capital of France is Paris."}
{"case": "france", "sample": 0, "variant": "paraphrase-1", "output": "Paris."}
{"case": "japan", "sample": 0, "output": "Tokyo"}
{"case": "canada", "sample": 0, "output": "The capital of Canada is Toronto."}
{"case": "one-word", "sample": 0, "output": "Rome"}
"""

FILES: dict[str, str] = {
    "harness.yaml": HARNESS_YAML,
    "prompts/short_answer.yaml": PROMPT_YAML,
    "suites/capitals.yaml": SUITE_YAML,
    "replays/capitals.jsonl": REPLAY_JSONL,
}
"""Root-relative path -> content of every file ``init_project`` writes."""


def init_project(target: Path, *, force: bool = False) -> list[Path]:
    """Write the example project into ``target`` (created if missing); return the files written.

    Refuses, before writing anything, when one of the files exists and ``force`` is not set.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder")
    paths = [target / rel for rel in FILES]
    if not force:
        existing = [p for p in paths if p.exists()]
        if existing:
            raise UsageError(f"{existing[0]} already exists; harness init does not overwrite files "
                             f"(use --force to replace the example files)")
    for path, content in zip(paths, FILES.values()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return paths


NEXT_STEPS = """\
Next steps:
  harness run suites/capitals.yaml --model recorded     # recorded outputs, no model needed
  harness run suites/capitals.yaml                      # the bundled SmolLM2 model
  harness compare suites/capitals.yaml --baseline smollm2 --candidate smollm2-int8
See docs/tutorial.md for the walk-through."""
"""What ``harness init`` prints after writing the files."""

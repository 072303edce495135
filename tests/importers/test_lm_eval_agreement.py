"""Case-by-case agreement with lm-eval: one generate_until task over a local JSONL dataset runs
through ``lm_eval`` (hf model, logged samples) and through ``harness import lm-eval`` +
``harness run`` on the same tiny local checkpoint; every document's exact_match must equal the
harness case's pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tiny_models import tiny_gpt2_dir  # noqa: F401 - fixture

pytest.importorskip("lm_eval")
pytest.importorskip("transformers")

WORDS = ["fox", "dog", "cat", "Paris", "Rome", "token", "seed", "model", "text", "code", "add", "two"]
# Targets cycle through values the tiny model's first alphabetic run sometimes is ("F", "at"),
# the regex filter's fallback, values that never match, and a value with surrounding whitespace
# (lm-eval's exact_match does not strip it), so both outcomes occur.
TARGETS = ["f.", "AT", "[invalid]", "of", "F ", "zebra"]
# The second task keeps only letters and spaces of a short whole output (remove_whitespace filter).
# A leading space in a target matters (" F"), as it does in lm-eval.
TARGETS_WS = [" F", "F", "zz", "of", "zebra", "f a"]
TASK_YAML = """\
task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
description: "Answer briefly.\\n"
doc_to_text: "Question: what is {{{{ word }}}} number {{{{ n }}}}?\\nAnswer:"
doc_to_target: {target}
generation_kwargs:
  until: ["\\n", "Question:"]
  max_gen_toks: {max_toks}
  do_sample: false
filter_list:
  - name: get-answer
    filter:
{filters}
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    regexes_to_ignore: [{ignore}]
"""
REGEX_FILTER = """\
      - function: regex
        regex_pattern: "([A-Za-z]+)"
        group_select: 0
        fallback: '[invalid]'"""
TASKS = {
    "tiny_agree": {"target": "answer", "max_toks": 16, "filters": REGEX_FILTER, "ignore": '"\\\\."'},
    "tiny_agree_ws": {"target": "answer_ws", "max_toks": 4, "filters": "      - function: remove_whitespace",
                          "ignore": '"[^A-Za-z ]"'},
}


def _write_tasks(folder: Path, docs: int = 24) -> dict[str, Path]:
    folder.mkdir()
    data = folder / "data.jsonl"
    rows = [{"word": WORDS[i % len(WORDS)], "n": i, "answer": TARGETS[i % len(TARGETS)],
             "answer_ws": TARGETS_WS[i % len(TARGETS_WS)]} for i in range(docs)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    paths = {}
    for name, fields in TASKS.items():
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_text(TASK_YAML.format(name=name, data=data, **fields), encoding="utf-8")
    return paths


def _lm_eval_samples(task_dir: Path, checkpoint: Path) -> dict[str, dict[str, tuple[bool, str]]]:
    """Per task and document (by row number): lm-eval's exact_match and its raw generation."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    results = lm_eval.simple_evaluate(
        model="hf", model_args=f"pretrained={checkpoint},dtype=float32,device=cpu", tasks=sorted(TASKS),
        task_manager=TaskManager(include_path=str(task_dir), include_defaults=False),
        batch_size=1, log_samples=True, num_fewshot=0)
    assert results is not None
    return {task: {str(s["doc_id"]): (bool(s["exact_match"]), s["resps"][0][0]) for s in results["samples"][task]}
            for task in TASKS}


def _harness_cases(task: Path, checkpoint: Path, project: Path) -> dict[str, tuple[bool, str]]:
    """Per case (id = row number): whether it passed and its output, from `harness run --json`."""
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "harness", *args], cwd=project, capture_output=True,
                              text=True, timeout=300)

    project.mkdir(parents=True)
    imported = cli("import", "lm-eval", str(task), "--out", ".")
    assert imported.returncode == 0, imported.stderr
    ran = cli("run", f"suites/{task.stem}.yaml", "--model", f"hf:{checkpoint}", "--no-store",
              "--json", "report.json")
    assert ran.returncode in (0, 1), ran.stderr
    report = json.loads((project / "report.json").read_text())
    cases = [c for suite in report["suites"] for c in suite["cases"]]
    return {c["id"]: (c["passed"], c["outputs"][0]) for c in cases}


def test_exact_match_agrees_with_lm_eval_document_by_document(tmp_path: Path, tiny_gpt2_dir: Path) -> None:  # noqa: F811
    tasks = _write_tasks(tmp_path / "task")
    lm = _lm_eval_samples(tmp_path / "task", tiny_gpt2_dir)
    for name, task in tasks.items():
        ours = _harness_cases(task, tiny_gpt2_dir, tmp_path / "project" / name)
        theirs = lm[name]
        assert sorted(theirs) == sorted(ours) and len(theirs) == 24
        different_text = {doc: (theirs[doc][1], ours[doc][1]) for doc in theirs if theirs[doc][1] != ours[doc][1]}
        assert different_text == {}  # same prompt text, greedy tokens, stop cutting and max_gen_toks
        disagreements = {doc: (theirs[doc], ours[doc]) for doc in theirs if theirs[doc][0] != ours[doc][0]}
        assert disagreements == {}, name
        matched = sum(m for m, _ in theirs.values())
        assert 3 <= matched <= 21, (name, matched)  # both outcomes occur, so the agreement is not trivial

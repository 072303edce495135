"""End to end on the real bundled model: fp32 baseline vs its int8-quantized deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_project import Project

pytestmark = pytest.mark.slow

STATUSES = {"regression", "improvement", "stable_pass", "stable_fail", "flaky"}


def test_int8_candidate_compared_case_by_case(project: Project, bundled_checkpoint: Path) -> None:
    project.write("harness.yaml", f"""
        models:
          base: {{backend: hf, model: "{bundled_checkpoint}"}}
          base-int8: {{base: base, quantize: int8}}
        default_model: base
    """)
    project.suite("facts", """
        id: facts
        template: "{{ question }} Answer in one short sentence."
        defaults:
          params: {max_new_tokens: 24}
        cases:
          - {id: france, vars: {question: "What is the capital of France?"}, reference: Paris,
             tags: [critical], checks: [{type: icontains, value: paris}]}
          - {id: japan, vars: {question: "What is the capital of Japan?"}, reference: Tokyo,
             checks: [{type: icontains, value: tokyo}]}
          - {id: water, vars: {question: "What is the chemical formula of water?"}, reference: H2O,
             checks: [{type: icontains, value: h2o}]}
          - {id: sky, vars: {question: "What colour is the sky on a clear day?"}, reference: blue,
             checks: [{type: icontains, value: blue}]}
          - {id: legs, vars: {question: "How many legs does a spider have?"}, reference: eight,
             checks: [{type: regex, value: "\\\\b(8|eight)\\\\b", flags: i}]}
          - {id: sun, vars: {question: "Is the Sun a star or a planet?"}, reference: star,
             checks: [{type: icontains, value: star}]}
    """)
    result = project.subprocess("compare", "suites/facts.yaml", "--baseline", "base", "--candidate", "base-int8",
                                "--json", "out.json", "--html", "out.html", timeout=900)
    assert result.code in (0, 1), result.text
    report = project.read_json("out.json")
    suite = report["suites"][0]
    assert report["verdict"] in ("pass", "warn", "inconclusive", "fail")
    assert {c["status"] for c in suite["cases"]} <= STATUSES and len(suite["cases"]) == 6
    assert suite["baseline"]["model"] == "base" and suite["candidate"]["model"] == "base-int8"
    # int8 quantization really changes the model: some answer differs, and drift says so.
    changed = [c for c in suite["cases"] if c["baseline_outputs"] != c["candidate_outputs"]]
    assert changed, "int8 candidate produced exactly the baseline's outputs"
    assert max(c["drift"] for c in changed) > 0
    assert "ci95" in suite["stats"] and "mcnemar_p" in suite["stats"]
    assert "verdict" in result.text.lower()
    assert (project.root / "out.html").read_text(encoding="utf-8").count("<script") == 0

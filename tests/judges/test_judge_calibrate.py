"""`harness judge-calibrate`: agreement and Cohen's kappa against human labels (checked with sklearn),
stored and cited by later comparisons; bad labels and failing judges give clear exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from harness_project import Project
from sklearn.metrics import cohen_kappa_score

from harness.analysis.judge_calibration import cohen_kappa
from tests.support.fake_judge import FakeJudge

REPO = Path(__file__).resolve().parents[2]
SUITE = """
id: s
prompt: ../prompts/echo.yaml
defaults:
  checks:
    - {type: llm-rubric, rubric: "is good", judge: "test-judge:rubric"}
cases:
  - {id: a, vars: {q: a}}
  - {id: b, vars: {q: b}}
"""
LABELS = [("a", "GOOD one", True), ("a", "bad one", False), ("b", "GOOD two", False), ("b", "bad two", False),
          ("a", "GOOD three", True), ("b", "bad three", True), ("b", "GOOD four", True)]


def _project(project: Project) -> None:
    project.prompt("echo", 'id: echo\nversion: v1\ntemplate: "{{ q }}"\n')
    project.write("suites/s.yaml", SUITE)
    project.jsonl("labels.jsonl", [{"case_id": c, "output": o, "pass": p} for c, o, p in LABELS])


@pytest.mark.parametrize("pairs", [
    [(True, True), (False, True), (True, False), (False, False), (True, True)],
    [(True, True), (False, False)],
    [(True, False), (True, False), (False, True)],
])
def test_kappa_matches_sklearn(pairs: list[tuple[bool, bool]]) -> None:
    human, judge = zip(*pairs)
    assert cohen_kappa(pairs) == pytest.approx(cohen_kappa_score(human, judge))


def test_judge_calibrate_prints_agreement_and_kappa_and_stores_it(project: Project) -> None:
    _project(project)
    result = project.cli("judge-calibrate", "suites/s.yaml", "--labels", "labels.jsonl", "--json", "cal.json")
    assert result.code == 0, result.text
    report = project.read_json("cal.json")
    human = [v["human"] for v in report["verdicts"]]
    judge = [v["judge"] for v in report["verdicts"]]
    assert human == [p for _, _, p in LABELS] and judge == ["GOOD" in o for _, o, _ in LABELS]
    assert report["kappa"] == pytest.approx(cohen_kappa_score(human, judge))
    assert report["accuracy"] == pytest.approx(5 / 7)
    assert report["confusion"] == {"both_pass": 3, "both_fail": 2, "judge_pass_human_fail": 1,
                                   "judge_fail_human_pass": 1}
    assert report["self_consistency"] == 1.0  # a deterministic judge agrees with itself
    assert f"κ {report['kappa']:.2f}" in result.text and "71%" in result.text
    # a later comparison on a suite graded by that judge cites the calibration
    project.replay({"a": "GOOD", "b": "GOOD"}, "base.jsonl")
    project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:base.jsonl", "--json", "c.json")
    judge_report = project.read_json("c.json")["suites"][0]["judge"]
    assert judge_report["calibration"] == f"judge test-judge:rubric agrees with human labels on 71% (κ " \
                                          f"{report['kappa']:.2f}, 7 labels)"


@pytest.mark.parametrize(("line", "field", "message"), [
    ('{"case_id": "zzz", "output": "x", "pass": true}', "case_id", "unknown case id 'zzz'"),
    ('{"case_id": "a", "output": "x"}', None, "needs `pass`"),
    ('{"case_id": "a", "output": "x", "pass": true', None, "not valid JSON"),
])
def test_bad_labels_exit_2_naming_the_line(project: Project, line: str, field: str | None, message: str) -> None:
    _project(project)
    good = json.dumps({"case_id": "a", "output": "ok", "pass": True})
    project.write("bad.jsonl", f"{good}\n{line}\n")
    result = project.cli("judge-calibrate", "suites/s.yaml", "--labels", "bad.jsonl")
    assert result.code == 2 and "bad.jsonl:2" in result.text and message in result.text
    if field:
        assert f"field '{field}'" in result.text


def test_a_failing_judge_exits_3_and_keeps_finished_judgments(project: Project,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _project(project)
    before = FakeJudge.calls
    monkeypatch.setattr(FakeJudge, "fail_after", before + 3)
    result = project.cli("judge-calibrate", "suites/s.yaml", "--labels", "labels.jsonl", "-j", "1")
    assert result.code == 3 and "judge test-judge:rubric failed" in result.text
    assert "3 of" in result.text  # judgments kept in the cache
    monkeypatch.setattr(FakeJudge, "fail_after", None)
    calls = FakeJudge.calls
    assert project.cli("judge-calibrate", "suites/s.yaml", "--labels", "labels.jsonl", "-j", "1").code == 0
    assert FakeJudge.calls - calls == len(LABELS) - 3 and calls - before == 3


def test_bundled_labels_file_matches_the_bundled_suite(project: Project) -> None:
    for rel in ("suites/judged_qa.yaml", "suites/data/judged_qa_labels.jsonl", "prompts/short_answer.yaml"):
        (project.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, project.root / rel)
    from harness.project.suites import load_suite
    from harness.scoring.judge_labels import load_labels

    suite = load_suite(project.root / "suites/judged_qa.yaml")
    labels = load_labels(project.root / "suites/data/judged_qa_labels.jsonl", {c.id for c in suite.cases})
    assert len(labels) == 16 and {lb.case_id for lb in labels} == {c.id for c in suite.cases}
    assert sum(lb.human_pass for lb in labels) == 8


def test_judge_calibrate_measures_position_bias_with_a_pairwise_check(project: Project) -> None:
    _project(project)
    project.write("suites/s.yaml", SUITE.replace(
        '    - {type: llm-rubric, rubric: "is good", judge: "test-judge:rubric"}',
        '    - {type: llm-rubric, rubric: "is good", judge: "test-judge:rubric"}\n'
        '    - {type: judge-pairwise, judge: "test-judge:first"}'))
    result = project.cli("judge-calibrate", "suites/s.yaml", "--labels", "labels.jsonl", "--json", "cal.json",
                         "--no-store")
    assert result.code == 0, result.text
    assert project.read_json("cal.json")["position_bias"] == 1.0  # always "A": every verdict flips with the order

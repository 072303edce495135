"""Terminal output at 80 columns: one block per suite, nothing cut to `…` in the verdict, suite or
pass-rate columns; `check` lists every compared case with its status and says what it covers;
`--full` prints whole outputs; errors are not hard-wrapped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness_project import Project

from tests.gitproject import PROMPT_B, make_project, write_yaml

LONG_ID = "customer-support-escalations-with-long-name"
LONG_OUTPUT = "It is " + " ".join(f"word{i}" for i in range(60)) + " THE-END"


@pytest.fixture()
def two_suites(project: Project) -> Project:
    for suite_id in (LONG_ID, "capitals-and-rivers-of-the-world"):
        cases = "\n".join(f"  - {{id: case-number-{i}, vars: {{q: q{i}}}, checks: [{{type: contains, value: ok}}]}}"
                          for i in range(4))
        project.suite(suite_id, f"id: {suite_id}\ntemplate: 'Q: {{{{ q }}}}'\ncases:\n{cases}\n")
    base = {f"case-number-{i}": "ok" for i in range(4)}
    project.replay(base, "base.jsonl")
    project.replay({**base, "case-number-0": LONG_OUTPUT}, "cand.jsonl")
    return project


def _compare(project: Project, *extra: str) -> str:
    result = project.cli("compare", "suites/", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", *extra)
    assert result.code in (0, 1), result.err
    return result.out


def _verdict_suite_rate_lines(out: str) -> list[str]:
    return [line for line in out.splitlines()
            if LONG_ID in line or "capitals-and-rivers" in line or "pass rate" in line or "%" in line]


def test_80_columns_cuts_no_verdict_suite_or_pass_rate(two_suites: Project,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = _compare(two_suites)
    lines = _verdict_suite_rate_lines(out)
    assert lines and not [line for line in lines if "…" in line]
    verdicts = re.findall(r"^(\S+)  (pass|warn|inconclusive|fail)$", out, flags=re.MULTILINE)
    same = verdicts[0][1]
    assert sorted(verdicts) == sorted([(LONG_ID, same), ("capitals-and-rivers-of-the-world", same)])
    rate_line = r"^  pass rate  100\.0% → 75\.0%  \(-25\.0 pp; 95% CI \S+ pp to \S+ pp\)$"
    assert len(re.findall(rate_line, out, flags=re.MULTILINE)) == 2
    assert "┃" not in out  # the narrow layout has no table to cut


def test_wide_terminal_keeps_the_table(two_suites: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    out = _compare(two_suites)
    assert "baseline vs candidate" in out and "┃ suite" in out
    assert not [line for line in _verdict_suite_rate_lines(out) if "…" in line]


def test_full_prints_whole_outputs(two_suites: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert "THE-END" not in _compare(two_suites)
    assert "THE-END" in _compare(two_suites, "--full")


def test_warn_reasons_read_as_warnings(two_suites: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = _compare(two_suites)
    assert "(warning threshold 0)" in out and "(allowed 0)" not in out


def test_check_lists_case_statuses_and_its_partial_coverage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from harness.commands.check import CheckOptions, check_command
    from tests.gitproject import suite_doc

    repo = make_project(tmp_path / "proj")
    doc = suite_doc("s2", "prompts/a.yaml", 3)
    doc["cases"][1]["checks"] = [{"type": "icontains", "value": "question"}]
    write_yaml(repo, "suites/s2.yaml", doc)
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer: {{ question }}"})
    monkeypatch.setenv("COLUMNS", "80")
    check_command(CheckOptions(base="HEAD", progress=False, store=False), {}, start=repo)
    out = capsys.readouterr().out
    assert "s2: only the 1 affected case(s) of 3; pass rates cover these only" in out
    assert "s3: all 2 cases" in out
    assert [line.split()[1:3] for line in out.splitlines() if line.startswith("  ✓")] == [
        ["c1", "stable_pass"], ["c0", "stable_pass"], ["c1", "stable_pass"]]


def test_errors_are_not_hard_wrapped(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    result = project.cli("run", "suites/definitely-missing-suite-file-with-a-long-name.yaml")
    assert result.code == 2
    assert "error: suite not found: suites/definitely-missing-suite-file-with-a-long-name.yaml" in result.err

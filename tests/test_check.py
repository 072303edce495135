"""harness check on a temporary git repository: 2 prompts, 3 suites, the fake echo model.

Work done is measured by counting generations of the fake backend, not by reading logs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.analysis.report import CheckSection
from harness.commands.check import CheckOptions, CheckOutcome, run_check, write_check_reports
from harness.errors import ConfigError, UsageError
from harness.generation.backends.fake import FakeBackend
from harness.pipeline import options_from_project, run_suite
from harness.project.config import load_project_config, resolve_model
from harness.project.suites import load_suite
from tests.gitproject import (
    PROMPT_A,
    PROMPT_B,
    commit,
    git,
    golden_scenario,
    make_project,
    suite_doc,
    write_yaml,
)

GOLDEN = Path(__file__).parent / "golden" / "check.md"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


class Counted:
    """Generations and model loads of the fake backend during one check."""

    def __init__(self, outcome: CheckOutcome, generated: int, loads: int) -> None:
        self.outcome, self.generated, self.loads = outcome, generated, loads


def check(repo: Path, **options: object) -> Counted:
    generated, loads = FakeBackend.generated, FakeBackend.loads
    outcome = run_check(CheckOptions(progress=False, **options), start=repo)  # type: ignore[arg-type]
    return Counted(outcome, FakeBackend.generated - generated, FakeBackend.loads - loads)


def section(run: Counted) -> CheckSection:
    assert run.outcome.report.check is not None
    return run.outcome.report.check


def compared(outcome: CheckOutcome) -> dict[str, list[str]]:
    return {s.id: [c.id for c in s.cases] for s in outcome.report.suites}


def test_unchanged_tree_runs_nothing(repo: Path) -> None:
    run = check(repo, base="HEAD")
    assert run.outcome.exit_code == 0 and not run.outcome.ran
    assert (run.generated, run.loads) == (0, 0)
    assert "Nothing relevant changed" in section(run).summary


def test_nothing_relevant_never_resolves_the_model(repo: Path) -> None:
    (repo / "harness.yaml").write_text("default_model: fake:no-such-mode\n")
    commit(repo, "config")
    (repo / "README.md").write_text("docs only\n")
    assert check(repo, base="HEAD").outcome.exit_code == 0


def test_prompt_change_runs_only_suites_using_it(repo: Path) -> None:
    write_yaml(repo, "prompts/a.yaml", {**PROMPT_A, "template": "Answer in one word: {{ question }}"})
    run = check(repo, base="HEAD")
    assert compared(run.outcome) == {"s1": ["c0", "c1"], "s2": ["c0", "c1", "c2"]}
    assert run.generated == 2 * (2 + 3)  # baseline and candidate of s1 and s2; nothing of s3
    assert run.outcome.exit_code == 0 and run.outcome.report.verdict == "pass"


def test_baseline_comes_from_cache_of_earlier_base_runs(repo: Path) -> None:
    project = load_project_config(repo)
    spec = resolve_model("fake:echo", project)
    options = options_from_project(project, progress=False)
    for name in ("s1", "s2"):
        run_suite(load_suite(repo / f"suites/{name}.yaml"), spec, project, options)
    write_yaml(repo, "prompts/a.yaml", {**PROMPT_A, "template": "Answer in one word: {{ question }}"})
    assert check(repo, base="HEAD").generated == 2 + 3  # only the candidate side
    assert check(repo, base="HEAD").generated == 0      # and a rerun is fully cached


def test_one_changed_case_runs_only_that_case(repo: Path) -> None:
    doc = suite_doc("s2", "prompts/a.yaml", 3)
    doc["cases"][1]["vars"] = {"question": "s2 question 1, rephrased"}
    write_yaml(repo, "suites/s2.yaml", doc)
    run = check(repo, base="HEAD")
    assert compared(run.outcome) == {"s2": ["c1"]}
    assert run.generated == 2
    (plan,) = section(run).suites
    assert plan.unchanged == ["c0", "c2"]


def test_changed_check_reuses_the_same_generation(repo: Path) -> None:
    doc = suite_doc("s3", "prompts/b.yaml")
    doc["cases"][0]["checks"] = [{"type": "icontains", "value": "nowhere"}]
    write_yaml(repo, "suites/s3.yaml", doc)
    run = check(repo, base="HEAD")
    assert run.generated == 1  # same rendered prompt on both sides: the candidate is a cache hit
    (suite,) = run.outcome.report.suites
    assert [(c.id, c.status) for c in suite.cases] == [("c0", "regression")]


def test_regression_fails_the_gate(repo: Path) -> None:
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer."})
    run = check(repo, base="HEAD")
    assert run.outcome.report.verdict == "fail" and run.outcome.exit_code == 1


def test_untracked_new_suite_runs_candidate_only(repo: Path) -> None:
    write_yaml(repo, "suites/s4.yaml", suite_doc("s4", "prompts/b.yaml", 3))
    run = check(repo, base="HEAD")
    assert run.generated == 3 and run.outcome.report.suites == []
    (new,) = run.outcome.report.new_cases or []
    assert new.id == "s4" and [c.passed for c in new.cases] == [True, True, True]
    assert run.outcome.exit_code == 0


def test_failing_new_case_warns(repo: Path) -> None:
    doc = suite_doc("s1", "prompts/a.yaml")
    doc["cases"].append({"id": "fresh", "vars": {"question": "q"},
                         "checks": [{"type": "equals", "value": "never"}]})
    write_yaml(repo, "suites/s1.yaml", doc)
    run = check(repo, base="HEAD")
    assert run.generated == 1
    assert run.outcome.report.verdict == "warn" and run.outcome.exit_code == 0
    assert any("s1::fresh" in r for r in run.outcome.report.reasons)


def test_committed_changes_since_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "system": "Be very polite."})
    commit(repo, "feature")
    run = check(repo)  # default base: merge base with main
    assert compared(run.outcome) == {"s3": ["c0", "c1"]}
    assert run.outcome.base.how == "merge base with main"


def test_renamed_suite_runs_nothing(repo: Path) -> None:
    git(repo, "mv", "suites/s2.yaml", "suites/second.yaml")
    run = check(repo, base="HEAD")
    assert run.generated == 0 and run.outcome.exit_code == 0
    (plan,) = section(run).suites
    assert (plan.path, plan.base_path, plan.unchanged) == ("suites/second.yaml", "suites/s2.yaml",
                                                                    ["c0", "c1", "c2"])


def test_prompt_renamed_with_suites_updated_runs_nothing(repo: Path) -> None:
    git(repo, "mv", "prompts/a.yaml", "prompts/short.yaml")
    for name, n in (("s1", 2), ("s2", 3)):
        write_yaml(repo, f"suites/{name}.yaml", suite_doc(name, "prompts/short.yaml", n))
    run = check(repo, base="HEAD")
    assert run.generated == 0 and run.outcome.exit_code == 0
    assert len(section(run).suites) == 2


def test_prompt_renamed_but_suite_not_updated(repo: Path) -> None:
    git(repo, "mv", "prompts/b.yaml", "prompts/polite.yaml")
    with pytest.raises(ConfigError, match="renamed it to prompts/polite.yaml"):
        check(repo, base="HEAD")


def test_deleted_suite_and_prompt(repo: Path) -> None:
    (repo / "suites/s3.yaml").unlink()
    (repo / "prompts/b.yaml").unlink()
    run = check(repo, base="HEAD")
    assert run.generated == 0 and run.outcome.exit_code == 0
    (plan,) = section(run).suites
    assert (plan.status, plan.removed) == ("deleted", ["c0", "c1"])


def test_added_prompt_used_by_no_suite(repo: Path) -> None:
    write_yaml(repo, "prompts/c.yaml", {"id": "c", "version": "1", "template": "{{ x }}"})
    run = check(repo, base="HEAD")
    assert run.generated == 0 and section(run).unused_prompts == ["prompts/c.yaml"]


def test_unknown_ref(repo: Path) -> None:
    with pytest.raises(UsageError, match="unknown git ref 'nope'"):
        check(repo, base="nope")


def test_not_a_git_repo(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("default_model: fake:echo\n")
    with pytest.raises(UsageError, match="not inside a git repository"):
        check(tmp_path, base="HEAD")


def normalise(markdown: str) -> str:
    return re.sub(r"`[0-9a-f]{12}`", "`COMMIT`", markdown)


def test_markdown_golden(repo: Path, tmp_path: Path) -> None:
    golden_scenario(repo)
    run = check(repo, base="HEAD")
    out = tmp_path / "out"
    write_check_reports(run.outcome, {"markdown": out / "check.md", "json": out / "check.json",
                                      "junit": out / "check.xml", "html": out / "check.html"})
    text = normalise((out / "check.md").read_text())
    if os.environ.get("HARNESS_UPDATE_GOLDEN") == "1":  # regenerate, review the diff, commit
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), \
        "Markdown differs from tests/golden/check.md (HARNESS_UPDATE_GOLDEN=1 rewrites it)"
    junit = (out / "check.xml").read_text()
    assert 'name="s1 (new cases)"' in junit and junit.count("<failure") == 2
    html = (out / "check.html").read_text()
    assert html.lower().startswith("<!doctype html>") and "something else" in html


def test_markdown_nothing_to_run(repo: Path, tmp_path: Path) -> None:
    run = check(repo, base="HEAD")
    write_check_reports(run.outcome, {"markdown": tmp_path / "m.md"})
    text = (tmp_path / "m.md").read_text()
    assert text.startswith("## ✅ harness check: nothing to run")
    assert "No suite, prompt or data file used by a suite changed." in text


def test_check_command_prints_plan_and_writes_reports(repo: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from harness.commands.check import check_command

    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer."})
    out = tmp_path / "r.json"
    code = check_command(CheckOptions(base="HEAD", progress=False), {"json": out}, start=repo)
    assert code == 1
    import json
    assert json.loads(out.read_text())["check"]["suites"][0]["id"] == "s3"
    assert "suite s3 (suites/s3.yaml, changed): 2 case(s) to run" in capsys.readouterr().err

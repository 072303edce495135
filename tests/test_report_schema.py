"""The report contract: committed JSON Schema == models; real --json outputs validate; terminal power line."""

from __future__ import annotations

import json

import jsonschema
import pytest
from harness_project import Project

from harness.analysis.report import SCHEMA_DIR, TOP_LEVEL, schema_text


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_committed_schema_matches_the_models(name: str) -> None:
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(TOP_LEVEL[name]), "run `python -m harness.analysis.report`"


def _validate(name: str, data: object) -> None:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


def _suite(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\ncases:\n"
                  + "".join(f"  - {{id: {c}, vars: {{q: {c}}}, checks: [{{type: contains, value: ok}}]}}\n"
                            for c in ("a", "b", "c")))


def test_compare_json_validates_and_terminal_prints_the_power_statement(project: Project) -> None:
    _suite(project)
    project.replay({"a": ["ok"] * 3, "b": ["no"] * 3, "c": ["ok"] * 3}, "base.jsonl")
    project.replay({"a": ["no"] * 3, "b": ["no"] * 3, "c": ["ok"] * 3}, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--samples", "3", "--json", "out.json", "--no-store")
    report = project.read_json("out.json")
    _validate("comparison", report)
    # per-case entries are built without validation (speed): their JSON must equal the validated form's
    from harness.analysis.report import ComparisonReport

    text = (project.root / "out.json").read_text()
    assert ComparisonReport.model_validate_json(text).model_dump_json(indent=2) + "\n" == text
    power = report["suites"][0]["stats"]["power"]["text"]
    assert power.startswith("With 3 cases")
    flat = " ".join(result.text.split())
    assert " ".join(power.split())[:60] in flat


def test_run_json_validates(project: Project) -> None:
    _suite(project)
    result = project.cli("run", "suites/s.yaml", "--model", "fake:echo", "--samples", "2",
                         "--json", "run.json", "--no-store")
    assert result.code == 0
    _validate("run", project.read_json("run.json"))


def test_calibrate_json_validates(project: Project) -> None:
    _suite(project)
    assert project.cli("calibrate", "suites/s.yaml", "--model", "fake:echo", "--repeats", "2",
                       "--json", "cal.json").code == 0
    _validate("calibration", project.read_json("cal.json"))


@pytest.mark.parametrize("changed", [True, False], ids=["regression-and-new-case", "nothing-to-run"])
def test_check_json_validates(project: Project, changed: bool) -> None:
    from tests.gitproject import golden_scenario, make_project

    make_project(project.root)
    if changed:
        golden_scenario(project.root)
    result = project.cli("check", "--base", "HEAD", "--json", "check.json")
    assert result.code == 0, result.err   # one greedy regression in a small suite: inconclusive, not fail
    report = project.read_json("check.json")
    _validate("comparison", report)
    assert report["check"]["nothing_to_run"] is not changed
    if changed:  # the comparison, the new cases and the plan are all in the one validated document
        assert report["verdict"] == "inconclusive" and [s["id"] for s in report["new_cases"]] == ["s1"]
        assert {s["id"] for s in report["suites"]} == {s["id"] for s in report["check"]["suites"]}

"""``--param KEY=VALUE`` on run, compare, check and calibrate: precedence, records, bad input (issue 13)."""

from __future__ import annotations

import logging

import pytest
from harness_project import Project


def _suite(project: Project, params: str = "") -> None:
    project.suite("s", "id: s\ntemplate: 'Q {{ q }}'\n" + (f"defaults: {{params: {{{params}}}}}\n" if params else "")
                  + "cases:\n  - {id: a, vars: {q: one}, checks: [{type: contains, value: Q}]}\n"
                  + "  - {id: b, vars: {q: two}, params: {temperature: 0.0}, checks: [{type: contains, value: Q}]}\n")


def test_command_line_beats_case_suite_prompt_and_model(project: Project) -> None:
    project.write("harness.yaml", "default_model: m\nmodels:\n  m: {backend: fake, model: seeded, "
                                  "params: {temperature: 0.3, top_p: 0.5}}\n")
    _suite(project, "temperature: 0.7")
    result = project.cli("run", "suites/s.yaml", "--param", "temperature=0.9", "--param", "top_p=0.95",
                         "--param", "max_new_tokens=12", "--no-store", "--json", "run.json")
    assert result.code == 0, result.text
    suite = project.read_json("run.json")["suites"][0]
    assert suite["params"]["temperature"] == 0.9 and suite["params"]["top_p"] == 0.95
    assert suite["params"]["max_new_tokens"] == 12
    outputs = {c["id"]: c["outputs"][0] for c in suite["cases"]}
    assert "#" in outputs["b"]   # the case said temperature 0, the command line said 0.9: sampled


def test_without_param_the_file_order_holds_and_overridden_model_params_are_said(
        project: Project, caplog: pytest.LogCaptureFixture) -> None:
    project.write("harness.yaml", "default_model: m\nmodels:\n  m: {backend: fake, model: seeded, "
                                  "params: {temperature: 0.7}}\n")
    _suite(project, "temperature: 0.0")
    with caplog.at_level(logging.WARNING, logger="harness.pipeline"):
        result = project.cli("run", "suites/s.yaml", "--no-store", "--json", "run.json")
    assert result.code == 0
    suite = project.read_json("run.json")["suites"][0]
    assert suite["params"]["temperature"] == 0.0
    assert all("#" not in c["outputs"][0] for c in suite["cases"])
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "temperature=0.7" in said and "overrides it" in said


@pytest.mark.parametrize(("pair", "message"), [
    ("temprature=0.8", "--param temprature: unknown generation parameter"),
    ("temperature=hot", "--param temperature: 'hot' is not a number"),
    ("top_p=0", "--param top_p: must be in (0, 1]"),
    ("top_p=1.5", "--param top_p: must be in (0, 1]"),
    ("max_new_tokens=2.5", "--param max_new_tokens: '2.5' is not an integer"),
    ("temperature", "--param takes KEY=VALUE"),
])
@pytest.mark.parametrize("command", ["run", "compare", "calibrate", "check"])
def test_bad_params_exit_2_naming_the_key(project: Project, command: str, pair: str, message: str) -> None:
    _suite(project)
    args = {"run": ["run", "suites/s.yaml"], "compare": ["compare", "suites/s.yaml", "-b", "fake:echo"],
            "calibrate": ["calibrate", "suites/s.yaml"], "check": ["check"]}[command]
    result = project.cli(*args, "--param", pair, "--no-store" if command in ("run", "compare") else "--seed=0")
    assert result.code == 2
    assert message in result.text


def test_calibrate_reports_the_gate_false_fail_rate_and_k(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: 'Q {{ q }}'\ncases:\n"
                  + "".join(f"  - {{id: c{i}, vars: {{q: '{i}'}}, tags: [critical], "
                            f"checks: [{{type: contains, value: '#0'}}]}}\n" for i in range(12)))
    result = project.cli("calibrate", "suites/s.yaml", "--model", "fake:seeded", "--samples", "3",
                         "--param", "temperature=1.0", "--repeats", "2", "--json", "cal.json")
    assert result.code == 0, result.text
    (cal,) = project.read_json("cal.json")
    assert cal["gate_draws"] >= 200 and 0 <= cal["gate_false_fail_estimated"] <= 0.05
    assert cal["gate_fails_observed"] <= cal["repeats"]
    assert cal["gate_samples_needed"] is not None and cal["gate_samples_needed"] <= 3
    assert "fails the gate in" in cal["text"] and "fails the gate in" in result.text

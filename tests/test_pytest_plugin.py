"""The pytest plugin, run inside pytest with `pytester` and the fake echo backend."""

from __future__ import annotations

import pytest

# pytester's in-process runs drop the modules they imported; C extensions (numpy, scipy) cannot load
# twice in one process, so what the plugin's runs import is imported here first.
import harness.pipeline
import harness.project.suites  # noqa: F401
from harness.generation.backends.fake import FakeBackend

pytest_plugins = ["pytester"]

SUITE = """\
id: greet
prompt: prompts/p.yaml
cases:
  - id: good
    tags: [critical]
    vars: {name: Ada}
    reference: Hello Ada
    checks: [{type: icontains, value: ada}]
  - id: bad
    vars: {name: Bob}
    reference: Goodbye Bob
    checks:
      - {type: icontains, value: bob}
      - {type: starts-with, value: Goodbye, name: farewell}
  - id: other
    vars: {name: Cy}
    checks: [{type: contains, value: Cy}]
"""


@pytest.fixture()
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", harness="default_model: fake:echo\n")
    (pytester.path / "prompts").mkdir()
    (pytester.path / "prompts/p.yaml").write_text("id: p\nversion: '1'\ntemplate: 'Hello {{ name }}'\n")
    (pytester.path / "suites").mkdir()
    (pytester.path / "suites/greet.yaml").write_text(SUITE)
    return pytester


def test_collects_cases_as_items(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", "suites", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["suites/greet.yaml::good", "suites/greet.yaml::bad",
                                 "suites/greet.yaml::other", "*3 tests collected*"])


def test_pass_and_fail_with_failure_details(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", "suites", "--harness-model", "fake:echo")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAILED check farewell ?starts-with?*",
        "output:", "    Hello Bob",
        "reference:", "    Goodbye Bob",
        "FAILED suites/greet.yaml::bad*"])
    assert "FAILED check icontains" not in result.stdout.str()


def test_default_model_from_harness_yaml(project: pytest.Pytester) -> None:
    project.runpytest("--harness", "suites").assert_outcomes(passed=2, failed=1)


def test_k_selects_and_runs_only_selected(project: pytest.Pytester) -> None:
    before = FakeBackend.generated
    result = project.runpytest("--harness", "suites", "-k", "good", "--harness-model", "fake:echo",
                               "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=2)
    assert FakeBackend.generated - before == 1


def test_x_stops_after_first_failure(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", "suites", "-x", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)


def test_without_option_yaml_is_not_collected(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_broken_suite_is_a_collection_error(project: pytest.Pytester) -> None:
    (project.path / "suites/broken.yaml").write_text("id: b\nprompt: prompts/p.yaml\ncases:\n  - id: x\n")
    result = project.runpytest("--harness", "suites")
    result.stdout.fnmatch_lines(["*harness: suites/broken.yaml:4*template variable 'name'*"])
    assert result.ret != 0


def test_prompt_files_under_harness_path_are_skipped(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", ".", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*3 tests collected*"])


def test_suites_outside_testpaths_are_added(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\ntestpaths = tests\n")
    (project.path / "tests").mkdir()
    (project.path / "tests/test_unit.py").write_text("def test_unit():\n    assert True\n")
    result = project.runpytest("--harness", "suites")
    result.assert_outcomes(passed=3, failed=1)


def test_tags_are_keywords(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", "suites", "-k", "critical")
    result.assert_outcomes(passed=1, deselected=2)


def test_model_failure_is_reported_on_each_item(project: pytest.Pytester) -> None:
    result = project.runpytest("--harness", "suites", "--harness-model", "replay:missing.jsonl")
    result.assert_outcomes(failed=3)
    assert result.stdout.str().count("missing.jsonl") >= 3

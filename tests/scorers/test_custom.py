"""`python` checks: scorers registered by decorator or by the `harness.scorers` entry-point group."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pydantic
import pytest
from check_helpers import run_check, verdicts

from harness.scoring.checks import scorer
from harness.scoring.checks.custom import CUSTOM_SCORERS
from harness.types import Case, Score


@pytest.fixture(autouse=True)
def _restore_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the registry as it was; what it registers is forgotten afterwards."""
    monkeypatch.setattr(CUSTOM_SCORERS, "_items", dict(CUSTOM_SCORERS._items))
    monkeypatch.setattr(CUSTOM_SCORERS, "_plugins_loaded", CUSTOM_SCORERS._plugins_loaded)


def test_decorator_bool_scorer() -> None:
    @scorer("t-shouting")
    def shouting(output: str, case: Case) -> bool:
        return output.isupper()

    assert verdicts({"type": "python", "scorer": "t-shouting"}, ["HELLO", "hello"]) == [True, False]


def test_decorator_float_scorer_with_args_and_min() -> None:
    @scorer("t-share")
    def share(output: str, case: Case, letter: str = "a") -> float:
        return output.count(letter) / max(len(output), 1)

    raw = {"type": "python", "scorer": "t-share", "args": {"letter": "x"}, "min": 0.5}
    good, bad = run_check(raw, ["xxxy", "xyyy"])
    assert good.passed and good.value == 0.75 and good.threshold == 0.5
    assert not bad.passed and bad.reason == "t-share = 0.250 < 0.5"


def test_decorator_score_passthrough_and_case_access() -> None:
    @scorer("t-ref")
    def matches_reference(output: str, case: Case) -> Score:
        return Score(check="ref", type="python", passed=output == case.reference, reason="custom")

    assert verdicts({"type": "python", "scorer": "t-ref"}, ["Paris", "Lyon"], reference="Paris") == [True, False]


def test_scorer_crash_is_an_error_on_that_score() -> None:
    @scorer("t-crash")
    def crash(output: str, case: Case) -> bool:
        if output == "boom":
            raise ValueError("kaput")
        return True

    ok, broken = run_check({"type": "python", "scorer": "t-crash"}, ["fine", "boom"])
    assert ok.passed and not ok.error
    assert not broken.passed and broken.error and "ValueError: kaput" in broken.reason


def test_wrong_return_type_is_an_error() -> None:
    @scorer("t-none")
    def nothing(output: str, case: Case) -> None:
        return None

    (score,) = run_check({"type": "python", "scorer": "t-none"}, ["x"])
    assert score.error and "expected bool, float or Score" in score.reason


def test_unknown_scorer_did_you_mean() -> None:
    @scorer("t-politeness")
    def polite(output: str, case: Case) -> bool:
        return True

    with pytest.raises(pydantic.ValidationError,
                       match="unknown python scorer 't-politenes'; did you mean 't-politeness'"):
        run_check({"type": "python", "scorer": "t-politenes"}, ["x"])


def test_unknown_scorer_fails_at_load_via_cli(project) -> None:
    """Before: the run generated everything, then scored the check as an error and exited 0."""
    project.suite("p", "id: p\ntemplate: hi\ncases:\n  - id: a\n    checks: [{type: python, scorer: nosuch}]\n")
    result = project.cli("run", "suites/p.yaml", "--no-store")
    assert result.code == 2
    assert "suites/p.yaml:5: field 'cases[0].checks[0].scorer'" in result.text
    assert "unknown python scorer 'nosuch'" in result.text


def write_plugin(folder: Path) -> None:
    """An installed-looking distribution: a module plus dist-info with entry_points.txt."""
    (folder / "harness_t_plugin.py").write_text(textwrap.dedent("""
        def has_digit(output, case, **args):
            return any(ch.isdigit() for ch in output)
        """))
    info = folder / "harness_t_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harness-t-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[harness.scorers]\nt-has-digit = harness_t_plugin:has_digit\n")


def test_entry_point_scorer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(CUSTOM_SCORERS, "_plugins_loaded", False)
    assert "t-has-digit" in CUSTOM_SCORERS.names()
    assert verdicts({"type": "python", "scorer": "t-has-digit"}, ["in 1989", "long ago"]) == [True, False]


def test_entry_point_scorer_in_a_run(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = tmp_path / "site"
    plugin.mkdir()
    write_plugin(plugin)
    monkeypatch.syspath_prepend(str(plugin))
    monkeypatch.setattr(CUSTOM_SCORERS, "_plugins_loaded", False)
    project.suite("p", """
        id: p
        template: "{{ q }}"
        cases:
          - {id: a, vars: {q: "year 1989"}, checks: [{type: python, scorer: t-has-digit}]}
          - {id: b, vars: {q: "long ago"}, checks: [{type: python, scorer: t-has-digit, name: digits}]}
        """)
    result = project.cli("run", "suites/p.yaml", "--model", "fake:echo", "--no-store", "--json", "out.json")
    assert result.code == 0, result.text
    cases = project.read_json("out.json")["suites"][0]["cases"]
    assert [(c["id"], c["passed"]) for c in cases] == [("a", True), ("b", False)]
    assert set(cases[1]["scores"]) == {"digits"}


def test_decorator_scorer_in_a_run(project) -> None:
    @scorer("t-short")
    def short(output: str, case: Case, limit: int = 10) -> bool:
        return len(output) <= limit

    project.suite("p", """
        id: p
        template: "{{ q }}"
        cases:
          - {id: a, vars: {q: "tiny"}, checks: [{type: python, scorer: t-short, args: {limit: 5}}]}
          - {id: b, vars: {q: "rather long"}, checks: [{type: python, scorer: t-short, args: {limit: 5}}]}
        """)
    result = project.cli("run", "suites/p.yaml", "--no-store", "--json", "out.json")
    assert result.code == 0, result.text
    assert [c["passed"] for c in project.read_json("out.json")["suites"][0]["cases"]] == [True, False]


def test_broken_plugin_named_exit_2(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the plugin's ImportError escaped as a traceback with exit 3."""
    info = tmp_path / "site" / "harness_t_broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harness-t-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[harness.scorers]\nt-broken = harness_t_missing_module:fn\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(CUSTOM_SCORERS, "_plugins_loaded", False)
    project.suite("p", "id: p\ntemplate: hi\ncases:\n  - id: a\n    checks: [{type: python, scorer: t-other}]\n")
    result = project.cli("run", "suites/p.yaml", "--no-store")
    assert result.code == 2
    assert "suites/p.yaml:5: field 'cases[0].checks[0]'" in result.text
    assert "python scorer plugin 't-broken' (harness_t_missing_module:fn, entry point group 'harness.scorers') " \
           "failed to load: ModuleNotFoundError" in result.text

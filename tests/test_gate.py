"""Gate policy parsing and evaluation."""

from __future__ import annotations

import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.gate import (
    DEFAULT_POLICY,
    Policy,
    Threshold,
    evaluate,
    load_policy,
    parse_policy,
    policy_from_doc,
)
from harness.analysis.report_build import build_report
from harness.errors import ConfigError
from harness.project.yamlfile import load_yaml_text
from tests.comparison_helpers import case, counts, run


def _compare(base_cases, cand_cases, suite="s"):
    return compare_runs(run(base_cases, suite=suite), run(cand_cases, suite=suite), embedding_model=None)


def _stable(n, prefix="c"):
    return [case(f"{prefix}{i}", [True]) for i in range(n)]


def test_identical_runs_pass_the_default_gate():
    comp = _compare(_stable(10), _stable(10))
    result = evaluate(DEFAULT_POLICY, [comp])
    assert result.verdict == "pass" and result.reasons == () and result.passed


def test_critical_regression_fails_the_gate():
    base = _stable(40) + [case("key", [True], tags=["critical"])]
    cand = _stable(40) + [case("key", [False], tags=["critical"])]
    result = evaluate(DEFAULT_POLICY, [_compare(base, cand)])
    assert result.verdict == "fail"
    rules = {r.rule: r for r in result.reasons}
    assert rules["critical_regressions"].level == "fail"
    assert rules["critical_regressions"].cases == ("key",)
    assert "key" in str(rules["critical_regressions"])


def test_non_critical_regression_only_warns_by_default():
    base = _stable(60) + [case("minor", counts(5, 5))]
    cand = _stable(60) + [case("minor", counts(0, 5))]
    comp = compare_runs(run(base), run(cand), embedding_model=None)
    result = evaluate(Policy(max_pass_rate_drop=None), [comp])
    assert result.verdict == "warn"
    assert [r.rule for r in result.reasons] == ["max_regressions"]


def test_max_regressions_as_a_fail_rule():
    base = _stable(10) + [case("x", [True]), case("y", [True])]
    cand = _stable(10) + [case("x", [False]), case("y", [False])]
    comp = _compare(base, cand)
    policy = parse_policy({"max_regressions": 1, "max_pass_rate_drop": None})
    assert policy.max_regressions == Threshold(value=1, level="fail")
    assert evaluate(policy, [comp]).verdict == "fail"
    assert evaluate(parse_policy({"max_regressions": 2, "max_pass_rate_drop": None}), [comp]).verdict == "pass"


def test_pass_rate_rule_is_three_way():
    """A 2.5% point drop: the 5% limit is neither ruled out nor exceeded (inconclusive, with what
    would decide it); a 10% limit is shown not to be exceeded (pass); most cases failing is a
    demonstrated drop (fail)."""
    base = _stable(40)
    comp = _compare(base, _stable(39) + [case("c39", [False])])
    assert comp.stats.pass_rate_delta == pytest.approx(-0.025)
    assert comp.stats.ci95[0] < -0.05
    result = evaluate(Policy(max_regressions=None), [comp])
    assert result.verdict == "inconclusive" and result.reasons[0].rule == "max_pass_rate_drop"
    assert result.suites[0].decision.requirement.cases > 40
    assert "to decide: about" in result.reasons[0].message
    strict = parse_policy({"inconclusive": "fail", "max_regressions": None})
    assert evaluate(strict, [comp]).verdict == "fail"
    loose = parse_policy({"max_pass_rate_drop": 0.10, "max_regressions": None})
    assert evaluate(loose, [comp]).verdict == "pass"
    dropped = _compare(base, _stable(10) + [case(f"c{i}", [False]) for i in range(10, 40)])
    result = evaluate(Policy(max_regressions=None), [dropped])
    assert result.verdict == "fail" and result.suites[0].decision.decision.value == "fail"


def test_unknown_inconclusive_mode_names_file_and_line():
    with pytest.raises(ConfigError) as err:
        policy_from_doc(load_yaml_text("max_regressions: 1\ninconclusive: maybe\n", "policy.yaml"))
    assert err.value.file == "policy.yaml" and err.value.line == 2 and err.value.field == "inconclusive"


def test_rules_can_be_warn_level_and_switched_off():
    comp = _compare(_stable(10), _stable(2) + [case(f"c{i}", [False]) for i in range(2, 10)])
    warn = parse_policy({"max_pass_rate_drop": {"value": 0.0, "level": "warn"}, "max_regressions": None})
    assert evaluate(warn, [comp]).verdict == "warn"
    off = parse_policy({"max_pass_rate_drop": None, "max_regressions": None})
    assert evaluate(off, [comp]).verdict == "pass"


def test_per_suite_overrides():
    lenient = _compare(_stable(10), _stable(9) + [case("c9", [False])], suite="lenient")
    strict = _compare(_stable(10), _stable(9) + [case("c9", [False])], suite="strict")
    policy = parse_policy({"max_regressions": 0, "max_pass_rate_drop": None,
                           "suites": {"lenient": {"max_regressions": {"value": 0, "level": "warn"}}}})
    result = evaluate(policy, [lenient, strict])
    assert [s.verdict for s in result.suites] == ["warn", "fail"]
    assert result.verdict == "fail"
    assert policy.for_suite("lenient").max_pass_rate_drop is None  # unset fields inherit


def test_min_consistency_and_flaky_share():
    base = [case(f"c{i}", [True, False, True, False], outputs=["a", "b", "c", "d"]) for i in range(4)]
    comp = _compare(base, base)
    assert comp.stats.flaky_share == 1.0
    policy = parse_policy({"min_consistency": 0.5, "max_flaky_share": {"value": 0.2, "level": "warn"},
                           "max_pass_rate_drop": None})
    result = evaluate(policy, [comp])
    assert {r.rule: r.level for r in result.reasons} == {"min_consistency": "fail", "max_flaky_share": "warn"}


@pytest.mark.parametrize("mode,verdict", [("fail", "fail"), ("warn", "warn"), ("ignore", "pass")])
def test_error_handling_modes(mode, verdict):
    base = _stable(10)
    cand = _stable(9) + [case("c9", [False], errors=["connection refused"])]
    comp = _compare(base, cand)
    result = evaluate(parse_policy({"errors": mode}), [comp])
    assert result.verdict == verdict
    if mode != "ignore":
        assert result.reasons[0].rule == "errors" and result.reasons[0].cases == ("c9",)


def test_missing_candidate_cases_count_as_errors():
    comp = _compare(_stable(5), _stable(4))
    result = evaluate(parse_policy({"errors": "fail"}), [comp])
    assert result.verdict == "fail" and result.reasons[0].cases == ("c4",)


def test_confounders_warn_by_default():
    base = run(_stable(5))
    cand = run(_stable(5), params={"temperature": 0.0})
    comp = compare_runs(base, cand, embedding_model=None)
    assert evaluate(DEFAULT_POLICY, [comp]).verdict == "warn"
    assert evaluate(parse_policy({"confounders": "ignore"}), [comp]).verdict == "pass"


def test_policy_errors_name_file_line_and_field():
    text = "policy:\n  max_regressions: 1\n  suites:\n    qa:\n      max_regresions: 2\n"
    with pytest.raises(ConfigError) as err:
        policy_from_doc(load_yaml_text(text, "harness.yaml"))
    assert err.value.file == "harness.yaml" and err.value.line == 5
    assert err.value.field == "policy.suites.qa.max_regresions"
    assert "unknown field" in str(err.value)


def test_policy_value_errors_have_locations(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("critical_regressions: 0\nmax_pass_rate_drop:\n  value: 0.02\n  level: block\n")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.line == 4 and err.value.field == "max_pass_rate_drop.level"
    path.write_text("errors: explode\n")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.line == 1 and err.value.field == "errors"


def test_load_policy_from_the_design_example(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("critical_regressions: 0\nmax_pass_rate_drop: 0.02\n")
    policy = load_policy(path)
    assert policy.max_pass_rate_drop == Threshold(value=0.02)
    assert policy.critical_regressions == Threshold(value=0)
    assert parse_policy(None) == DEFAULT_POLICY


def test_build_report_carries_verdicts_and_reasons():
    ok = _compare(_stable(5), _stable(5), suite="ok")
    bad = _compare(_stable(3) + [case("k", [True], tags=["critical"])],
                   _stable(3) + [case("k", [False], tags=["critical"])], suite="bad")
    gate = evaluate(DEFAULT_POLICY, [ok, bad])
    report = build_report([ok, bad], gate).model_dump(mode="json")
    assert report["verdict"] == "fail"
    assert [s["verdict"] for s in report["suites"]] == ["pass", "fail"]
    assert [s["id"] for s in report["suites"]] == ["ok", "bad"]
    assert any("critical" in r for r in report["reasons"])
    assert report["suites"][1]["reasons"] == [str(r) for r in gate.suites[1].reasons]


def test_policy_examples_in_the_docs_are_valid():
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "statistics.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 3
    policies = [policy_from_doc(load_yaml_text(block, "docs/statistics.md")) for block in blocks]
    assert policies[0] == DEFAULT_POLICY
    assert policies[1].max_regressions == Threshold(value=0) and policies[1].errors == "fail"
    assert policies[2].for_suite("creative-writing").max_regressions is None

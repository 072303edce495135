"""A/A calibration: false regressions from noise, analytically and by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.calibration import (
    calibrate,
    false_regression_probability,
    regression_region,
    samples_needed,
    suite_false_alarm_rate,
)
from harness.analysis.compare import compare_runs
from harness.analysis.stats import case_status
from tests.comparison_helpers import case, counts, run


def test_regression_region_follows_the_status_rule():
    assert regression_region(1, 0.05) == ((1, 0),)
    assert set(regression_region(5, 0.05)) == {(5, 0), (5, 1), (4, 0)}
    for x, y in regression_region(8, 0.05):
        assert case_status(x, 8, y, 8, 0.05)[0] == "regression"


def test_false_regression_probability_closed_forms():
    # K = 1: a flip 1 -> 0 happens with probability p(1-p)
    assert false_regression_probability(0.3, 1, 0.05) == pytest.approx(0.3 * 0.7)
    # K = 5, p = 0.5: outcomes (5,0), (5,1), (4,0) -> (1 + 5 + 5) / 1024
    assert false_regression_probability(0.5, 5, 0.05) == pytest.approx(11 / 1024)
    # deterministic cases never produce a false regression
    assert false_regression_probability(1.0, 5, 0.05) == 0.0
    assert false_regression_probability(0.0, 1, 0.05) == 0.0


def test_false_regression_probability_matches_simulation():
    rng = np.random.default_rng(0)
    p, k, trials = 0.6, 6, 40_000
    x, y = rng.binomial(k, p, trials), rng.binomial(k, p, trials)
    region = set(regression_region(k, 0.05))
    simulated = np.mean([(a, b) in region for a, b in zip(x.tolist(), y.tolist())])
    assert simulated == pytest.approx(false_regression_probability(p, k, 0.05), abs=0.004)


def test_suite_rate_and_samples_needed():
    ps = [0.5] * 10
    assert suite_false_alarm_rate(ps, 1, 0.05) == pytest.approx(1 - 0.75 ** 10)
    needed = samples_needed(ps, 0.05, target=0.1)
    assert needed is not None and suite_false_alarm_rate(ps, needed, 0.05) <= 0.1
    assert all(suite_false_alarm_rate(ps, k, 0.05) > 0.1 for k in range(1, needed))
    assert samples_needed([1.0, 0.0], 0.05, target=0.0) == 1
    assert samples_needed([0.5] * 200, 0.05, target=0.01, max_samples=10) is None


def test_deterministic_model_against_itself():
    cases = [case(f"c{i}", [i % 2 == 0] * 3, outputs=[f"out {i}"] * 3) for i in range(10)]
    comps = [compare_runs(run(cases), run(cases), embedding_model=None) for _ in range(3)]
    (cal,) = calibrate(comps)
    assert cal.observed_regressions == 0 and cal.observed_false_alarm_rate == 0.0
    assert cal.false_alarm_rate == 0.0 and cal.expected_regressions == 0.0
    assert cal.samples_needed == 1 and cal.repeats == 3 and cal.samples == 3


def test_noisy_model_against_itself_single_sample():
    rng = np.random.default_rng(5)
    runs = [run([case(f"c{i}", [bool(rng.random() < 0.5)]) for i in range(30)]) for _ in range(6)]
    comps = [compare_runs(runs[i], runs[i + 1], embedding_model=None) for i in range(0, 6, 2)]
    (cal,) = calibrate(comps, target=0.05)
    assert cal.samples == 1 and cal.alpha == 0.05
    assert cal.observed_regressions == sum(len(c.regressions) for c in comps) > 0
    assert cal.expected_regressions == pytest.approx(sum(n.p * (1 - n.p) for n in cal.cases))
    assert cal.false_alarm_rate > 0.5
    assert cal.samples_needed is None or cal.samples_needed > 1
    assert "noise alone" in cal.text


def test_calibration_groups_by_suite():
    a = compare_runs(run([case("x", counts(1, 2))], suite="a"), run([case("x", counts(2, 2))], suite="a"),
                     embedding_model=None)
    b = compare_runs(run([case("y", [True])], suite="b"), run([case("y", [True])], suite="b"),
                     embedding_model=None)
    cals = calibrate([a, b])
    assert [c.suite_id for c in cals] == ["a", "b"]
    assert cals[0].cases[0].p == 0.75

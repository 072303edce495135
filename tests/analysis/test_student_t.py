"""The pure-Python Student t (which spares `harness compare` importing scipy.stats) agrees with scipy."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import t as scipy_t

from harness.analysis import student_t

DFS = [1, 2, 3, 4, 5, 7, 10, 19, 30, 31, 50, 99, 120, 500, 1000, 5000]


@pytest.mark.parametrize("df", DFS)
def test_two_sided_p_and_sf_match_scipy(df: int) -> None:
    for x in [0.01, 0.3, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 8.0, 12.0, 30.0, 100.0]:
        expected = 2 * scipy_t.sf(x, df)
        assert student_t.two_sided_p(x, df) == pytest.approx(expected, rel=1e-9, abs=1e-300)
        assert student_t.two_sided_p(-x, df) == student_t.two_sided_p(x, df)
        assert student_t.sf(x, df) == pytest.approx(scipy_t.sf(x, df), rel=1e-9, abs=1e-300)
        assert student_t.sf(-x, df) == pytest.approx(scipy_t.sf(-x, df), rel=1e-12)
    assert student_t.two_sided_p(0.0, df) == 1.0
    assert student_t.two_sided_p(math.inf, df) == 0.0


@pytest.mark.parametrize("df", DFS)
def test_ppf_matches_scipy(df: int) -> None:
    for q in [0.55, 0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999, 1 - 1e-8, 0.05, 0.025]:
        assert student_t.ppf(q, df) == pytest.approx(scipy_t.ppf(q, df), rel=1e-9)
    assert student_t.ppf(0.5, df) == 0.0
    assert student_t.ppf(1.0, df) == math.inf and student_t.ppf(0.0, df) == -math.inf


def test_importing_the_clustered_estimate_does_not_import_scipy() -> None:
    code = ("import sys; from harness.analysis.clustered import paired_estimate as p;"
            "e = p([0.1, -0.2, 0.3, 0.0], [0, 1, 2, 3], [0.01] * 4); e.bounds(0.95); e.p_value();"
            "print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"

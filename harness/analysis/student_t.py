"""Student's t distribution (survival function and quantile) in pure Python. Pure.

``harness.analysis.clustered`` needs two numbers per comparison (a confidence bound and a p-value);
importing ``scipy.stats`` for them took about a second of every ``harness compare``. These agree with
``scipy.stats.t`` to about 1e-13 relative (tests/analysis/test_student_t.py checks them against it).
"""

from __future__ import annotations

import math
from statistics import NormalDist

_TINY = 1e-300
_EPS = 1e-16


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + num / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return h


def _log_gamma_ratio(a: float) -> float:
    """``log(Gamma(a + 1/2) / Gamma(a))``, by Stirling's series for large ``a`` (where the difference of two
    large ``lgamma`` values would lose digits)."""
    if a < 30:
        return math.lgamma(a + 0.5) - math.lgamma(a)
    z = a + 0.5
    series = sum(c * (z ** -(2 * k - 1) - a ** -(2 * k - 1))
                 for k, c in enumerate((1 / 12, -1 / 360, 1 / 1260, -1 / 1680), start=1))
    return 0.5 * math.log(a) + (a * math.log1p(0.5 / a) - 0.5) + series


def _betainc_half(a: float, x: float, one_minus_x: float, log_x: float) -> float:
    """Regularized incomplete beta ``I_x(a, 1/2)``, with ``1 - x`` and ``log x`` given accurately by the caller."""
    if x <= 0.0:
        return 0.0
    if one_minus_x <= 0.0:
        return 1.0
    b = 0.5
    # log B(a, 1/2) = lgamma(a) + lgamma(1/2) - lgamma(a + 1/2)
    front = math.exp(_log_gamma_ratio(a) - 0.5 * math.log(math.pi) + a * log_x + b * math.log(one_minus_x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, one_minus_x) / b


def two_sided_p(t: float, df: float) -> float:
    """``P(|T| >= |t|)`` for T ~ t(df): ``I_{df/(df+t^2)}(df/2, 1/2)``."""
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0
    t2 = t * t
    return _betainc_half(df / 2.0, df / (df + t2), t2 / (df + t2), -math.log1p(t2 / df))


def sf(t: float, df: float) -> float:
    """Survival function ``P(T > t)``."""
    half = two_sided_p(t, df) / 2.0
    return half if t >= 0 else 1.0 - half


def _pdf(t: float, df: float) -> float:
    log_norm = _log_gamma_ratio(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def ppf(q: float, df: float) -> float:
    """Quantile: the ``t`` with ``P(T <= t) = q``."""
    if not 0.0 < q < 1.0:
        return {0.0: -math.inf, 1.0: math.inf}.get(q, math.nan)
    if q < 0.5:
        return -ppf(1.0 - q, df)
    if q == 0.5:
        return 0.0
    upper = 1.0 - q
    if df == 1:
        return 1.0 / math.tan(math.pi * upper)
    if df == 2:
        return (2.0 * q - 1.0) / math.sqrt(2.0 * q * upper)
    return _newton_quantile(upper, df)


def _newton_quantile(upper: float, df: float) -> float:
    """Solve ``sf(t) = upper`` (t > 0). sf is convex and decreasing there, so after the first step
    Newton's iterates approach the root from below, monotonically."""
    z = NormalDist().inv_cdf(1.0 - upper)
    t = z + (z**3 + z) / (4.0 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96.0 * df**2)  # Cornish-Fisher start
    for _ in range(200):
        step = (sf(t, df) - upper) / _pdf(t, df)
        new = t + step
        if new <= 0.0:
            new = t / 2.0
        if abs(new - t) <= 4 * _EPS * abs(new):
            return new
        t = new
    return t

"""rouge-l and rouge-1 against the case reference (or an explicit value)."""

from __future__ import annotations

import pytest
from check_helpers import run_check


@pytest.mark.parametrize("kind", ["rouge-l", "rouge-1"])
def test_rouge_pass_and_fail(kind: str) -> None:
    reference = "The capital of France is Paris."
    good, bad = run_check({"type": kind, "min": 0.5}, ["Paris is the capital of France.", "I like trains."],
                          reference=reference)
    assert good.passed and good.value is not None and good.value >= 0.5
    assert not bad.passed and bad.value is not None and bad.value < 0.2
    assert good.threshold == 0.5 and not good.error


def test_rouge_l_respects_order_rouge_1_does_not() -> None:
    reference = "a b c d e f"
    output = "f e d c b a"
    (l_score,) = run_check({"type": "rouge-l", "min": 0.9}, [output], reference=reference)
    (one,) = run_check({"type": "rouge-1", "min": 0.9}, [output], reference=reference)
    assert one.passed and one.value == pytest.approx(1.0)
    assert not l_score.passed and l_score.value < 0.5


def test_identical_text_scores_one() -> None:
    (score,) = run_check({"type": "rouge-l", "min": 1.0}, ["Paris"], reference="Paris")
    assert score.passed and score.value == pytest.approx(1.0)


def test_explicit_value_overrides_reference() -> None:
    (score,) = run_check({"type": "rouge-1", "min": 0.9, "value": "Lima Peru"}, ["Lima Peru"], reference="Paris")
    assert score.passed


def test_no_reference_is_a_scorer_error() -> None:
    (score,) = run_check({"type": "rouge-l", "min": 0.1}, ["Paris"], reference=None)
    assert not score.passed and score.error and "no reference" in score.reason

"""String checks: equals, contains, icontains, not-contains, regex, starts-with, lengths."""

from __future__ import annotations

import pydantic
import pytest
from check_helpers import run_check, verdicts


def test_equals_strips_whitespace() -> None:
    assert verdicts({"type": "equals", "value": "Paris"}, ["Paris", "  Paris\n", "paris", "Paris."]) == [
        True, True, False, False]


def test_equals_failure_reason_shows_both() -> None:
    (score,) = run_check({"type": "equals", "value": "Paris"}, ["Lyon"])
    assert score.reason == "expected 'Paris', got 'Lyon'" and score.type == "equals"


def test_contains_is_case_sensitive_and_takes_a_list() -> None:
    assert verdicts({"type": "contains", "value": "Paris"}, ["in Paris", "in paris"]) == [True, False]
    assert verdicts({"type": "contains", "value": ["Lima", "Cusco"]}, ["Cusco!", "Quito"]) == [True, False]


def test_icontains_folds_case() -> None:
    assert verdicts({"type": "icontains", "value": "PARIS"}, ["it is paris", "Straße", "Lyon"]) == [
        True, False, False]
    assert verdicts({"type": "icontains", "value": "STRASSE"}, ["Straße"]) == [True]  # casefold, not lower


def test_not_contains() -> None:
    assert verdicts({"type": "not-contains", "value": ["sorry", "As an AI"]}, ["Paris", "As an AI, no"]) == [
        True, False]
    (score,) = run_check({"type": "not-contains", "value": "sorry"}, ["so sorry"])
    assert score.reason == "found 'sorry'"


def test_regex_with_flags() -> None:
    assert verdicts({"type": "regex", "value": r"^\d{4}$"}, ["1989", "year 1989"]) == [True, False]
    assert verdicts({"type": "regex", "value": "^paris$", "flags": "im"}, ["x\nPARIS\ny", "Lyon"]) == [True, False]


def test_regex_config_errors() -> None:
    with pytest.raises(pydantic.ValidationError, match="invalid regular expression"):
        run_check({"type": "regex", "value": "(unclosed"}, ["x"])
    with pytest.raises(pydantic.ValidationError, match="unknown regex flags"):
        run_check({"type": "regex", "value": "x", "flags": "iq"}, ["x"])


def test_starts_with_ignores_leading_space() -> None:
    assert verdicts({"type": "starts-with", "value": "Yes"}, ["  Yes, it is", "No. Yes"]) == [True, False]


def test_max_and_min_length_chars_and_words() -> None:
    assert verdicts({"type": "max-length", "value": 5}, ["12345", "123456"]) == [True, False]
    assert verdicts({"type": "min-length", "value": 3, "unit": "words"}, ["one two three", "one two"]) == [
        True, False]
    (score,) = run_check({"type": "max-length", "value": 5}, ["123456"])
    assert (score.value, score.threshold, score.reason) == (6.0, 5.0, "6 chars > 5")


def test_length_unit_validated() -> None:
    with pytest.raises(pydantic.ValidationError, match="unit must be"):
        run_check({"type": "min-length", "value": 3, "unit": "tokens"}, ["x"])


def test_name_and_weight_carried_into_score() -> None:
    (score,) = run_check({"type": "contains", "value": "a", "name": "has-a", "weight": 2.5}, ["a"])
    assert (score.check, score.type, score.weight) == ("has-a", "contains", 2.5)


def test_unknown_field_forbidden() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        run_check({"type": "contains", "value": "a", "case_sensitive": False}, ["a"])

"""Instruction-following check types: counts, case, bullets, refusals."""

from __future__ import annotations

import pydantic
import pytest

from harness.scoring.checks import CHECK_TYPES, ScoreItem
from harness.scoring.checks.instructions import count_bullets, count_sentences, count_words
from harness.types import Case, Score

CASE = Case(id="c", vars={})


def run_check(raw: dict, output: str) -> Score:
    """Validate a check mapping as a suite would, then score one output."""
    cls = CHECK_TYPES.get(raw["type"])
    return cls(cls.Config.model_validate(raw)).score([ScoreItem(output, CASE)])[0]


# --- counting helpers ---------------------------------------------------------------

def test_count_words_keeps_contractions_and_hyphenated_words_whole() -> None:
    assert count_words("Don't panic: it's a well-known fact.") == 6
    assert count_words("  ") == 0
    assert count_words("- one\n- two three") == 3


def test_count_sentences_splits_on_terminal_punctuation() -> None:
    assert count_sentences("Hello there. How are you? Fine!") == 3
    assert count_sentences("Pi is 3.14 roughly.") == 1
    assert count_sentences("No final stop") == 1
    assert count_sentences("One... Two.") == 2
    assert count_sentences("") == 0


def test_count_sentences_counts_unpunctuated_list_lines() -> None:
    assert count_sentences("Fruits:\n- apple\n- pear") == 3


def test_count_bullets_recognises_markdown_and_numbered_items() -> None:
    text = "Intro\n- a\n* b\n• c\n1. d\n2) e\n+ f\n-not a bullet\n**bold** line\n"
    assert count_bullets(text) == 6


# --- word-count -----------------------------------------------------------------------

def test_word_count_passes_inside_range_and_fails_outside() -> None:
    ok = run_check({"type": "word-count", "min": 2, "max": 4}, "three small words")
    assert ok.passed and ok.value == 3.0 and ok.reason == "3 words (between 2 and 4)"
    over = run_check({"type": "word-count", "max": 2}, "three small words")
    assert not over.passed and over.reason == "3 words, expected at most 2"


def test_word_count_min_only() -> None:
    assert run_check({"type": "word-count", "min": 3}, "a b c").passed
    assert not run_check({"type": "word-count", "min": 4}, "a b c").passed


@pytest.mark.parametrize("raw, message", [
    ({"type": "word-count"}, "give `min`, `max` or both"),
    ({"type": "word-count", "min": 5, "max": 2}, "larger than `max`"),
    ({"type": "word-count", "max": -1}, "zero or more"),
    ({"type": "word-count", "max": 3, "words": 2}, "Extra inputs are not permitted"),
])
def test_word_count_config_errors(raw: dict, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        CHECK_TYPES.get("word-count").Config.model_validate(raw)


# --- sentence-count -----------------------------------------------------------------------

def test_sentence_count_exact() -> None:
    assert run_check({"type": "sentence-count", "min": 2, "max": 2}, "It rains. It pours.").passed
    fail = run_check({"type": "sentence-count", "min": 2, "max": 2}, "It rains. It pours. It stops.")
    assert not fail.passed and fail.reason == "3 sentences, expected exactly 2"


# --- bullet-count ---------------------------------------------------------------------------

def test_bullet_count_exact_value() -> None:
    assert run_check({"type": "bullet-count", "value": 3}, "- apple\n- pear\n- fig").passed
    fail = run_check({"type": "bullet-count", "value": 3}, "1. apple\n2. pear")
    assert not fail.passed and fail.reason == "2 bullets, expected exactly 3"


def test_bullet_count_max_zero_means_no_list() -> None:
    assert run_check({"type": "bullet-count", "max": 0}, "A plain paragraph.").passed
    assert not run_check({"type": "bullet-count", "max": 0}, "Two points:\n- a\n- b").passed


def test_bullet_count_refuses_value_with_bounds() -> None:
    with pytest.raises(pydantic.ValidationError, match="not both"):
        CHECK_TYPES.get("bullet-count").Config.model_validate({"type": "bullet-count", "value": 2, "min": 1})


# --- is-lowercase ---------------------------------------------------------------------------

def test_is_lowercase() -> None:
    assert run_check({"type": "is-lowercase"}, "all quiet here, 42 times.").passed
    fail = run_check({"type": "is-lowercase"}, "all quiet on the Western front")
    assert not fail.passed and "'Western'" in fail.reason
    empty = run_check({"type": "is-lowercase"}, "123 !!!")
    assert not empty.passed and empty.reason == "output has no letters"


def test_is_lowercase_takes_no_options() -> None:
    with pytest.raises(pydantic.ValidationError):
        CHECK_TYPES.get("is-lowercase").Config.model_validate({"type": "is-lowercase", "value": "x"})


# --- refusal / not-refusal ---------------------------------------------------------------------

REFUSAL = "I'm sorry, but I can't help with that request."
ANSWER = "To stop a stuck Python process, find its PID and run `kill PID`."


def test_refusal_passes_on_refusal_only() -> None:
    assert run_check({"type": "refusal"}, REFUSAL).passed
    fail = run_check({"type": "refusal"}, ANSWER)
    assert not fail.passed and fail.reason.startswith("did not refuse")


def test_not_refusal_is_the_opposite() -> None:
    assert run_check({"type": "not-refusal"}, ANSWER).passed
    fail = run_check({"type": "not-refusal"}, REFUSAL)
    assert not fail.passed and fail.reason.startswith("refused a benign request")


def test_name_and_weight_carry_into_the_score() -> None:
    score = run_check({"type": "not-refusal", "name": "helpful", "weight": 2}, ANSWER)
    assert score.check == "helpful" and score.type == "not-refusal" and score.weight == 2.0


def test_numbered_list_markers_are_not_sentences() -> None:
    assert count_sentences("1. Rain falls from clouds.\n2. Rain is a form of precipitation") == 2
    assert count_sentences("10) First point. Second point.") == 2

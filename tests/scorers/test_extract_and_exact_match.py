"""The general `extract` and `negate` check options, and equals' exact-match normalisation,
against lm-eval's own filter and metric where it is installed."""

from __future__ import annotations

import pytest

from harness.scoring.checks import CHECK_TYPES, ScoreItem
from harness.scoring.score import _run_scorer
from harness.types import Case

CASE = Case(id="c", vars={}, reference="#### 1,234.", checks=())


def _score(raw: dict, output: str, case: Case = CASE):
    config = CHECK_TYPES.get(raw["type"]).Config.model_validate(raw)
    return _run_scorer(config, [ScoreItem(output, case)])[0]


def test_extract_then_normalised_equals_against_reference() -> None:
    raw = {"type": "equals", "ignore_case": True, "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"],
           "extract": {"regex": "#### (\\-?[0-9\\.\\,]+)", "fallback": "[invalid]"}}
    assert _score(raw, "so... #### 1234").passed
    assert not _score(raw, "#### 99").passed
    miss = _score(raw, "no answer")
    assert not miss.passed and "[invalid]" in miss.reason


def test_extract_without_fallback_fails_with_a_reason_and_last_match() -> None:
    raw = {"type": "contains", "value": "7", "extract": {"regex": "\\d+", "match": -1}}
    assert _score(raw, "1 then 7").passed and not _score(raw, "7 then 1").passed
    miss = _score(raw, "none")
    assert not miss.passed and miss.reason.startswith("nothing extracted")


def test_negate_inverts_but_keeps_errors() -> None:
    assert _score({"type": "regex", "value": "\\d", "negate": True}, "abc").passed
    assert not _score({"type": "regex", "value": "\\d", "negate": True}, "a1").passed
    no_ref = Case(id="c", vars={}, reference=None, checks=())
    err = _score({"type": "equals", "negate": True}, "x", no_ref)
    assert err.error and not err.passed


@pytest.mark.parametrize("output, reference", [("Hello, World!", "hello world"), ("$1,000", "1000"),
                                               ("The answer.", "the answer"), ("a b", "ab"), ("X", "x.")])
def test_normalisation_matches_lm_eval(output: str, reference: str) -> None:
    metrics = pytest.importorskip("lm_eval.api.metrics")
    options = {"ignore_case": True, "ignore_punctuation": True, "regexes_to_ignore": ["\\$", ","]}
    ours = _score({"type": "equals", "value": reference, **options}, output).passed
    theirs = metrics.exact_match_hf_evaluate([output], [reference], **options)["exact_match"] == 1.0
    assert ours == theirs


@pytest.mark.parametrize("pattern, group_select, text", [
    ("#### (\\-?[0-9\\.\\,]+)", 0, "x #### 12 y #### 3"), ("(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, "a 5 b 1,2 c 7"),
    ("(\\d)", 0, "none"), ("[A-D]", 0, "B or C")])
def test_extract_matches_lm_eval_regex_filter(pattern: str, group_select: int, text: str) -> None:
    extraction = pytest.importorskip("lm_eval.filters.extraction")
    from harness.scoring.checks.extract import ExtractSpec

    theirs = extraction.RegexFilter(pattern, group_select).apply([[text]], [{}])[0][0]
    assert ExtractSpec(regex=pattern, match=group_select, fallback="[invalid]").apply(text) == theirs

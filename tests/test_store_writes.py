"""The store's JSON of a comparison report: the fast path equals the walk it replaces."""

from __future__ import annotations

import json
import math

import pytest
from store_support import make_report_data

from harness.analysis.report import ComparisonReport
from harness.store.jsonsafe import EncodedJSON, clean_json, json_text, model_json, serialize


@pytest.mark.parametrize("odd_output", ["Lima, é ✓ \u0000 \"quoted\" \\ </script>", "lone \ud800 surrogate"])
def test_model_json_parses_back_as_the_cleaning_walk(odd_output: str) -> None:
    data = make_report_data()
    cases = data["suites"][0]["cases"]
    cases[0]["drift"], cases[1]["drift"] = float("nan"), float("inf")
    cases[2]["candidate_outputs"] = [odd_output]
    report = ComparisonReport.model_validate(data)
    fast = json.loads(model_json(report))
    assert fast == clean_json(report.model_dump(mode="json"))
    assert fast["suites"][0]["cases"][0]["drift"] is None and fast["suites"][0]["cases"][1]["drift"] is None
    assert "\ud800" not in fast["suites"][0]["cases"][2]["candidate_outputs"][0]
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(fast))


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@pytest.mark.parametrize("value", [
    [{"check": "contains", "value": math.nan, "threshold": math.inf, "reason": "é «x» \"q\" \\ </script>"}],
    {"nested": ({"a": -math.inf},), "lone": "x \ud800 y", 3: None},
    [], None, 1.5, "plain"])
def test_json_text_parses_back_as_the_cleaning_walk(value: object) -> None:
    text = json_text(value)
    assert isinstance(text, EncodedJSON)
    assert json.loads(text) == json.loads(json.dumps(clean_json(value)))
    assert serialize(text) is text and serialize(value) == text   # written as is, or encoded the same

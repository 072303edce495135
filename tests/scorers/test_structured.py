"""JSON checks: is-json and json-schema."""

from __future__ import annotations

import pydantic
import pytest
from check_helpers import run_check, verdicts

SCHEMA = {"type": "object", "required": ["name", "age"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}}


def test_is_json_accepts_plain_and_fenced() -> None:
    outputs = ['{"a": 1}', "```json\n[1, 2]\n```", "Here:\n```\n{\"ok\": true}\n```", "{a: 1}", ""]
    assert verdicts({"type": "is-json"}, outputs) == [True, True, True, False, False]


def test_is_json_failure_reason_locates_error() -> None:
    (score,) = run_check({"type": "is-json"}, ['{"a": 1,}'])
    assert score.reason.startswith("invalid JSON:") and "line 1" in score.reason


def test_json_schema_pass_and_fail() -> None:
    outputs = ['{"name": "Ada", "age": 36}', '{"name": "Ada"}', '{"name": "Ada", "age": -1}', "nope"]
    scores = run_check({"type": "json-schema", "schema": SCHEMA}, outputs)
    assert [s.passed for s in scores] == [True, False, False, False]
    assert "'age' is a required property" in scores[1].reason
    assert scores[2].reason.startswith("schema violation at age:")
    assert scores[3].reason.startswith("invalid JSON")


def test_json_schema_rejects_invalid_schema_at_load() -> None:
    with pytest.raises(pydantic.ValidationError, match="invalid JSON schema"):
        run_check({"type": "json-schema", "schema": {"type": "no-such-type"}}, ["{}"])


def test_json_schema_requires_schema() -> None:
    with pytest.raises(pydantic.ValidationError):
        run_check({"type": "json-schema"}, ["{}"])

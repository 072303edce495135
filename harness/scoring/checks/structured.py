"""JSON checks: is-json and json-schema (the ``jsonschema`` library)."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import field_validator

from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type, short
from harness.types import Score

_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


def parse_json_output(text: str) -> tuple[Any, str | None]:
    """Parse an output as JSON, accepting one fenced ```json block. Returns (value, error)."""
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    error = "empty output"
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return json.loads(candidate), None
        except json.JSONDecodeError as exc:
            error = f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return None, error


class IsJsonConfig(CheckConfig):
    pass


@check_type("is-json")
class IsJson(Scorer):
    Config = IsJsonConfig

    def score_one(self, item: ScoreItem) -> Score:
        _, error = parse_json_output(item.output)
        return self.make(error is None, "valid JSON" if error is None else f"{error}: {short(item.output)!r}")


class SchemaConfig(CheckConfig):
    schema_: dict[str, Any]

    model_config = {**CheckConfig.model_config, "populate_by_name": True}

    def __init__(self, **data: Any) -> None:
        if "schema" in data:
            data["schema_"] = data.pop("schema")
        super().__init__(**data)

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        import jsonschema

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON schema: {exc.message}") from None
        return value


@check_type("json-schema")
class JsonSchema(Scorer):
    Config = SchemaConfig

    def __init__(self, config: CheckConfig) -> None:
        super().__init__(config)
        import jsonschema

        schema = config.schema_  # type: ignore[attr-defined]
        self._validator = jsonschema.validators.validator_for(schema)(schema)

    def score_one(self, item: ScoreItem) -> Score:
        value, error = parse_json_output(item.output)
        if error is not None:
            return self.make(False, f"{error}: {short(item.output)!r}")
        problems = sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))
        if not problems:
            return self.make(True, "matches the schema")
        first = problems[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        return self.make(False, f"schema violation at {where}: {first.message}")

"""Human-labelled outputs for ``harness judge-calibrate`` (JSONL), validated line by line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import ConfigError


class LabelLine(BaseModel):
    """One line: ``{"case_id": ..., "output": ..., "pass": true}`` and/or ``"score": 0.8`` (0..1)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    case_id: str
    output: str
    passed: bool | None = Field(default=None, alias="pass")
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    note: str | None = None

    @model_validator(mode="after")
    def _needs_label(self) -> LabelLine:
        if self.passed is None and self.score is None:
            raise ValueError("a label needs `pass` (true/false) or `score` (0..1)")
        return self

    @property
    def human_pass(self) -> bool:
        """The human verdict: ``pass`` when given, else ``score >= 0.5``."""
        return self.passed if self.passed is not None else (self.score or 0.0) >= 0.5


@dataclass(frozen=True)
class Label:
    line: int
    case_id: str
    output: str
    human_pass: bool


def load_labels(path: Path, case_ids: set[str]) -> list[Label]:
    """Parse a labels file; a malformed line or an unknown case id is a ConfigError naming the line."""
    if not path.is_file():
        raise ConfigError("labels file not found", file=str(path))
    labels = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc.msg}", file=str(path), line=number) from None
        try:
            line = LabelLine.model_validate(data)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            raise ConfigError(first["msg"], file=str(path), line=number, field=field) from None
        if line.case_id not in case_ids:
            raise ConfigError(f"unknown case id '{line.case_id}' (not in the suite)", file=str(path),
                              line=number, field="case_id")
        labels.append(Label(number, line.case_id, line.output, line.human_pass))
    if not labels:
        raise ConfigError("labels file has no labels", file=str(path))
    return labels

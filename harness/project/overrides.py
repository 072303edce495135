"""Generation parameters given on the command line (``--param KEY=VALUE``, repeatable).

They override every file: command line > case > suite > prompt > model. Values are checked
here so that a typo is a usage error naming the key, not a silent default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pydantic

from harness.errors import UsageError
from harness.project.prompts import ParamsModel

_INTEGERS = ("max_new_tokens", "top_k", "seed")


def parse_param_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``["temperature=0.8", "stop=###"]`` -> ``{"temperature": 0.8, "stop": ["###"]}``.

    ``stop`` may be repeated (each adds a stop string); other keys may be given once.
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param takes KEY=VALUE, got '{pair}'")
        if key not in ParamsModel.model_fields:
            known = ", ".join(ParamsModel.model_fields)
            raise UsageError(f"--param {key}: unknown generation parameter (known: {known})")
        if key == "stop":
            values.setdefault("stop", []).append(raw)
        elif key in values:
            raise UsageError(f"--param {key} is given twice")
        else:
            values[key] = _number(key, raw.strip())
    _check_ranges(values)
    return values


def _number(key: str, raw: str) -> int | float:
    try:
        value = int(raw) if key in _INTEGERS else float(raw)
    except ValueError:
        kind = "an integer" if key in _INTEGERS else "a number"
        raise UsageError(f"--param {key}: '{raw}' is not {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"--param {key}: '{raw}' is not a finite number")
    return value


def _check_ranges(values: dict[str, Any]) -> None:
    if "temperature" in values and values["temperature"] < 0:
        raise UsageError(f"--param temperature: must be >= 0, got {values['temperature']:g}")
    if "top_p" in values and not 0 < values["top_p"] <= 1:
        raise UsageError(f"--param top_p: must be in (0, 1], got {values['top_p']:g}")
    if "max_new_tokens" in values and values["max_new_tokens"] < 1:
        raise UsageError(f"--param max_new_tokens: must be >= 1, got {values['max_new_tokens']}")
    if "top_k" in values and values["top_k"] < 0:
        raise UsageError(f"--param top_k: must be >= 0, got {values['top_k']}")
    try:
        ParamsModel.model_validate(values)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"--param {first['loc'][0]}: {first['msg']}") from None

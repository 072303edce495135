"""JSON-safe values for the store's JSON columns, and the JSON text the engines write for them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

from harness.generation.sanitize import clean_text


def clean_json(value: Any) -> Any:
    """A JSON-safe copy: NaN and infinities become ``None`` (PostgreSQL's json rejects them), lone
    surrogates U+FFFD."""
    kind = type(value)   # the usual exact types first: an isinstance against Mapping costs more
    if kind is str:
        return clean_text(value)
    if kind is dict:
        return {k if type(k) is str else str(k): clean_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [clean_json(v) for v in value]
    if kind is bool or kind is int or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


class EncodedJSON(str):
    """A JSON column's value already encoded as JSON text: written as is (see :func:`serialize`)."""


def json_text(value: Any) -> EncodedJSON:
    """``clean_json(value)`` as JSON text, by pydantic's serializer (NaN and infinities as null; UTF-8,
    not ``\\u`` escapes); what it cannot encode (a lone surrogate) takes the cleaning walk."""
    try:
        return EncodedJSON(to_json(value, inf_nan_mode="null").decode())
    except (ValueError, TypeError):   # TypeError: a pydantic-core older than ``inf_nan_mode``
        return EncodedJSON(json.dumps(clean_json(value)))


def model_json(model: BaseModel, exclude: Any = None) -> EncodedJSON:
    """``model`` (less pydantic's ``exclude``) as JSON text, JSON-safe as :func:`json_text` makes it: pydantic's
    serializer writes NaN and infinities as null; a lone surrogate (which it cannot encode) takes the walk."""
    try:
        return EncodedJSON(model.model_dump_json(exclude=exclude))
    except ValueError:
        return json_text(model.model_dump(mode="json", exclude=exclude))


def serialize(value: Any) -> str:
    """The engines' JSON serializer (``make_engine``): :class:`EncodedJSON` as is, anything else as
    :func:`json_text` encodes it."""
    return value if type(value) is EncodedJSON else json_text(value)

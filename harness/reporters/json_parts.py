"""A report's ``--json`` in parts: the bytes of ``model_dump_json(indent=2)``, its cases a chunk at a time.

A run or comparison of 100,000 cases is a 230 MB document: dumped whole, the serializer's growing
buffer and the bytes it returns are both held at once, on top of the report. Here each suite's fields
and each chunk of its cases is serialized by pydantic on its own and framed as the whole dump frames
it (two-space indent, ``"key": value``, ``[]`` for an empty list); continuation lines are re-indented
by their depth, which is safe because JSON strings never hold a raw newline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter

CHUNK = 1000
Parts = Callable[[Any, int], Iterator[bytes]]


def json_parts(report: BaseModel, chunk: int = CHUNK) -> Iterator[bytes]:
    """``report.model_dump_json(indent=2).encode()``, in parts (one part unless its suites have cases)."""
    suites = getattr(report, "suites", None)
    if "suites" not in type(report).model_fields or not isinstance(suites, list) or not any(
            getattr(suite, "cases", None) for suite in suites):
        yield report.__pydantic_serializer__.to_json(report, indent=2)
        return

    def suite(model: BaseModel, indent: int) -> Iterator[bytes]:
        return _object(model, indent, {"cases": lambda cases, depth: _chunked(cases, depth, chunk)})

    yield from _object(report, 0, {"suites": lambda items, depth: _array(items, depth, suite)})


def _object(model: BaseModel, indent: int, streamed: dict[str, Parts]) -> Iterator[bytes]:
    """A model's JSON object at ``indent``: the fields in ``streamed`` by their function, each other
    field as pydantic dumps the model with that field alone."""
    inner = b" " * (indent + 2)
    yield b"{"
    for n, name in enumerate(type(model).model_fields):
        key = json.dumps(name).encode()
        yield (b"\n" if n == 0 else b",\n") + inner + key + b": "
        if name in streamed:
            yield from streamed[name](getattr(model, name), indent + 2)
        else:
            alone = model.__pydantic_serializer__.to_json(model, indent=2, include={name})
            head = b"{\n  " + key + b": "
            if not (alone.startswith(head) and alone.endswith(b"\n}")):
                raise ValueError(f"unexpected JSON for field {name!r}")
            yield _indented(alone[len(head):-2], indent)
    yield b"\n" + b" " * indent + b"}"


def _array(items: Sequence[Any], indent: int, item: Parts) -> Iterator[bytes]:
    if not items:
        yield b"[]"
        return
    inner = b" " * (indent + 2)
    yield b"["
    for n, value in enumerate(items):
        yield (b"\n" if n == 0 else b",\n") + inner
        yield from item(value, indent + 2)
    yield b"\n" + b" " * indent + b"]"


def _chunked(items: list[BaseModel], indent: int, chunk: int) -> Iterator[bytes]:
    """A list of models, ``chunk`` of them per dump (each dump is ``[\\n  ...\\n]``, items at two spaces)."""
    if not items:
        yield b"[]"
        return
    adapter: TypeAdapter[list[Any]] = TypeAdapter(list[type(items[0])])  # type: ignore[misc]
    yield b"["
    for start in range(0, len(items), chunk):
        dumped = adapter.dump_json(items[start:start + chunk], indent=2)
        yield (b"\n" if start == 0 else b",\n") + b" " * indent + _indented(dumped[2:-2], indent)
    yield b"\n" + b" " * indent + b"]"


def _indented(text: bytes, extra: int) -> bytes:
    """Continuation lines moved ``extra`` spaces right."""
    return text.replace(b"\n", b"\n" + b" " * extra) if extra else text

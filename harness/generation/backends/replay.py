"""``replay:FILE``: recorded outputs, one JSON object a line.

Format: ``{"case": "<id>", "sample": 0, "output": "<text>"}``; optional ``"suite"``
when one file covers several suites, optional ``"variant"`` for paraphrase answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.generation.backends.base import ModelSpec, SpecContext, SpecSyntax, backend
from harness.types import Generation, GenerationRequest

Key = tuple[str | None, str, str, int]


@backend("replay")
class ReplayBackend(SpecSyntax):
    """Serves recorded outputs; a missing case is an error that names it."""

    cacheable = False

    @classmethod
    def parse_target(cls, target: str, ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """``replay:FILE``, relative to the project root unless it exists from the cwd."""
        return ctx.project_path(target), {}

    @classmethod
    def from_config(cls, fields: dict[str, Any], ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """``file`` is the target."""
        target, options = super().from_config(fields, ctx)
        return ctx.project_path(target), options

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.path = Path(spec.target)
        self._records: dict[Key, str] | None = None

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256(self._read_bytes()).hexdigest()[:16]
        return {"backend": "replay", "file": self.path.name, "sha256": digest}

    def has(self, request: GenerationRequest) -> bool:
        return self._lookup(request) is not None

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        outputs = []
        for request in requests:
            output = self._lookup(request)
            if output is None:
                where = f" of suite '{request.suite_id}'" if request.suite_id else ""
                variant = "" if request.variant == "main" else f" ({request.variant})"
                raise ConfigError(f"replay file has no output for case '{request.case_id}'{where}, "
                                  f"sample {request.sample}{variant}", file=str(self.path))
            outputs.append(output)
        for index, output in enumerate(outputs):
            yield index, Generation(output=output, new_tokens=None, latency_s=0.0)

    def close(self) -> None:
        self._records = None

    def _lookup(self, request: GenerationRequest) -> str | None:
        records = self._load()
        for suite in (request.suite_id, None):
            found = records.get((suite, request.case_id, request.variant, request.sample))
            if found is not None:
                return found
        return None

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read replay file: {exc.strerror}", file=str(self.path)) from None

    def _load(self) -> dict[Key, str]:
        if self._records is None:
            self._records = parse_replay(self._read_bytes().decode("utf-8", errors="replace"), str(self.path))
        return self._records


def parse_replay(text: str, path: str) -> dict[Key, str]:
    """Parse a replay file into {(suite, case, variant, sample): output}, with file:line errors."""
    records: dict[Key, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=lineno, column=exc.colno) from None
        if not isinstance(row, dict):
            raise ConfigError("each line must be a JSON object", file=path, line=lineno)
        for name, kind in (("case", (str, int)), ("output", str)):
            if name not in row:
                raise ConfigError(f"missing required field '{name}'", file=path, line=lineno, field=name)
            if not isinstance(row[name], kind):
                raise ConfigError(f"'{name}' must be a {'string' if kind is str else 'string or number'}",
                                  file=path, line=lineno, field=name)
        sample = row.get("sample", 0)
        if not isinstance(sample, int) or sample < 0:
            raise ConfigError("'sample' must be a non-negative integer", file=path, line=lineno, field="sample")
        suite = row.get("suite")
        key = (str(suite) if suite is not None else None, str(row["case"]), str(row.get("variant", "main")), sample)
        records[key] = row["output"]
    return records

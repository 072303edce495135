"""``replay:FILE``: recorded outputs, one JSON object a line.

Format: ``{"case": "<id>", "sample": 0, "output": "<text>"}``; optional ``"suite"``
when one file covers several suites, optional ``"variant"`` for paraphrase answers.
Errors naming the line: invalid UTF-8 or JSON, a missing or mistyped field (``"sample": true``
too), a second output for the same (suite, case, variant, sample). Warnings: unknown fields,
lines answering cases the suite does not have. The file is checked before a run is registered.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.generation.backends.base import ModelSpec, SpecContext, SpecSyntax, backend
from harness.types import Generation, GenerationRequest

Key = tuple[str | None, str, str, int]
log = logging.getLogger(__name__)


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
        self._lines: dict[Key, int] = {}
        self._digest = ""

    def fingerprint(self) -> dict[str, Any]:
        self._load()  # a file that does not validate fails here, before a run is registered
        return {"backend": "replay", "file": self.path.name, "sha256": self._digest}

    def has(self, request: GenerationRequest) -> bool:
        return self._lookup(request) is not None

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        outputs = []
        for request in requests:
            output = self._lookup(request)
            if output is None:
                raise _missing(request, self.path)
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
        """The records, read once (with the digest of the same bytes) until ``close``."""
        if self._records is None:
            data = self._read_bytes()
            self._records, self._lines = parse_replay_lines(decode_lines(data, str(self.path)), str(self.path))
            self._digest = hashlib.sha256(data).hexdigest()[:16]
        return self._records

    def check(self, requests: Sequence[GenerationRequest]) -> None:
        """Before a run is registered: every main request has an output (else the error naming it)."""
        for request in requests:
            if request.variant == "main" and self._lookup(request) is None:
                raise _missing(request, self.path)

    def warn_unused(self, requests: Sequence[GenerationRequest]) -> None:
        """Log the lines answering cases that none of ``requests`` asked for (a stale or wrong file?)."""
        suites = {r.suite_id for r in requests} | {None}
        asked = {r.case_id for r in requests}
        extra = [f"line {self._lines[k]} (case '{k[1]}')" for k in self._load()
                 if k[0] in suites and k[1] not in asked]
        if extra:
            log.warning("%s: %d line(s) answer cases the suite does not have: %s", self.path, len(extra),
                        ", ".join(extra[:5]) + (", ..." if len(extra) > 5 else ""))


KNOWN_FIELDS = {"case", "sample", "output", "suite", "variant"}


def _missing(request: GenerationRequest, path: Path) -> ConfigError:
    where = f" of suite '{request.suite_id}'" if request.suite_id else ""
    variant = "" if request.variant == "main" else f" ({request.variant})"
    return ConfigError(f"replay file has no output for case '{request.case_id}'{where}, "
                       f"sample {request.sample}{variant}", file=str(path))


def decode_lines(data: bytes, path: str) -> list[str]:
    """The file's lines as text; a line that is not UTF-8 is an error naming it."""
    lines = []
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"invalid UTF-8 at byte {exc.start + 1}", file=path, line=lineno) from None
    return lines


def parse_replay(text: str, path: str) -> dict[Key, str]:
    """Parse a replay file into {(suite, case, variant, sample): output}, with file:line errors."""
    return parse_replay_lines(text.split("\n"), path)[0]


def parse_replay_lines(lines: list[str], path: str) -> tuple[dict[Key, str], dict[Key, int]]:
    """(records, the line of each record); duplicates, bad types and unknown fields name the line."""
    records: dict[Key, str] = {}
    where: dict[Key, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = _row(line, path, lineno)
        key = (row.get("suite"), str(row["case"]), row.get("variant", "main"), row.get("sample", 0))
        if key in records:
            raise ConfigError(f"duplicate output for case '{key[1]}', sample {key[3]}"
                              + (f" ({key[2]})" if key[2] != "main" else "")
                              + f": line {where[key]} already gave one", file=path, line=lineno)
        records[key], where[key] = row["output"], lineno
    return records, where


def _row(line: str, path: str, lineno: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=lineno, column=exc.colno) from None
    if not isinstance(row, dict):
        raise ConfigError("each line must be a JSON object", file=path, line=lineno)
    for name in ("case", "output"):
        if name not in row:
            raise ConfigError(f"missing required field '{name}'", file=path, line=lineno, field=name)
    checks = (("case", isinstance(row["case"], (str, int)) and not isinstance(row["case"], bool),
               "'case' must be a string or number"),
              ("output", isinstance(row["output"], str), "'output' must be a string"),
              ("sample", _is_count(row.get("sample", 0)), "'sample' must be a non-negative integer"),
              ("suite", isinstance(row.get("suite", ""), str), "'suite' must be a string"),
              ("variant", isinstance(row.get("variant", ""), str), "'variant' must be a string"))
    for name, ok, message in checks:
        if not ok:
            raise ConfigError(message, file=path, line=lineno, field=name)
    unknown = sorted(set(row) - KNOWN_FIELDS)
    if unknown:
        log.warning("%s:%d: unknown field(s) %s ignored (known: %s)", path, lineno,
                    ", ".join(repr(u) for u in unknown), ", ".join(sorted(KNOWN_FIELDS)))
    return row


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0

"""What an importer produces: files to write, and the parts it could not convert."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, UsageError


@dataclass(frozen=True)
class Unsupported:
    """One construct with no harness equivalent, located in its source file."""

    file: str
    path: str  # dotted path inside the file, e.g. tests.3.assert.0.type
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"


@dataclass
class ImportResult:
    """Files to write (relative path -> text) plus what was left out or approximated."""

    files: dict[str, str] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)
    notes: list[Unsupported] = field(default_factory=list)  # converted, but not exactly

    def add_yaml(self, rel: str, source: str, data: dict[str, Any]) -> None:
        header = f"# Imported from {source} by `harness import`. Edit freely; re-importing overwrites.\n"
        self.files[rel] = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_result(result: ImportResult, out: Path) -> list[Path]:
    """Write every file under ``out``; refuses to write outside it."""
    written = []
    root = out.resolve()
    for rel, text in result.files.items():
        target = (root / rel).resolve()
        if root not in target.parents:
            raise UsageError(f"refusing to write '{rel}' outside {out}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def yaml_error(exc: yaml.YAMLError, file: str) -> ConfigError:
    """A YAML parse error as a ConfigError naming the file and line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return ConfigError(f"invalid YAML: {problem}", file=file,
                       line=mark.line + 1 if mark is not None else None)

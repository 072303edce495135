"""The backend protocol and registry.

A backend turns ``GenerationRequest``s into ``Generation``s. It is built from a
``ModelSpec`` without loading anything heavy: ``fingerprint()`` must be cheap
(hash files, not load weights) so that a fully cached run never loads the model.
Register new backends with ``@backend("name")`` or the ``harness.generation.backends`` entry points.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.registry import Registry
from harness.types import Generation, GenerationRequest


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model spec: backend name, target (id, path, URL or file) and options.

    ``options`` holds backend-specific settings (dtype, quantize, device, revision,
    gguf, api_key_env, batch_size, ...); ``params`` holds generation defaults.
    """

    backend: str
    target: str
    options: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # the short name from harness.yaml, if any

    @property
    def label(self) -> str:
        """What reports show: the short name, else backend:target plus distinguishing options."""
        if self.name:
            return self.name
        extras = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()) if k in ("dtype", "quantize"))
        return f"{self.backend}:{self.target}" + (f"[{extras}]" if extras else "")


class Backend(Protocol):
    """What every backend provides."""

    spec: ModelSpec

    def fingerprint(self) -> dict[str, Any]:
        """Identity of the model behind this spec (weights hash, revision, ...). Must be cheap."""

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index into requests, Generation)`` as results complete, in any order."""

    def close(self) -> None:
        """Release the model or connections."""


@dataclass(frozen=True)
class SpecContext:
    """What spec parsing may use from the project: its root (for relative files)."""

    root: Path

    def project_path(self, target: str) -> str:
        """``target`` as an absolute path: as given if it exists or is absolute, else under root."""
        path = Path(target)
        if path.is_absolute() or path.exists():
            return str(path.resolve())
        return str((self.root / path).resolve())


class SpecSyntax:
    """How a backend reads its spec: ``NAME:TARGET`` strings and ``models:`` entries.

    Backends inherit this and override what differs; a backend class that does not inherit
    it (a plugin) gets these defaults. Both methods return ``(target, options)``.
    """

    @classmethod
    def parse_target(cls, target: str, ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """The part after ``NAME:`` -> target and options (default: target as is)."""
        return target, {}

    @classmethod
    def from_config(cls, fields: dict[str, Any], ctx: SpecContext) -> tuple[str, dict[str, Any]]:
        """The fields of a ``models:`` entry (without backend/base/params) -> target and options."""
        options = dict(fields)
        target = options.pop("url", None) or options.pop("file", None) \
            or options.get("model") or options.get("gguf") or ""
        return target, options


def spec_syntax(cls: type) -> type[SpecSyntax]:
    """The spec syntax of a backend class (the defaults for classes that define none)."""
    return cls if isinstance(cls, type) and issubclass(cls, SpecSyntax) else SpecSyntax


BACKENDS: Registry[Any] = Registry("backend", "harness.backends")


def backend(name: str):
    """Class decorator: register a backend class ``cls(spec: ModelSpec)`` under ``name``."""
    return BACKENDS.decorator(name)

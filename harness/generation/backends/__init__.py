"""Model backends. Importing this package registers the built-in light ones;
heavy ones (hf, openai) are imported on first use by name."""

from collections.abc import Callable

from harness.generation.backends import fake, replay  # noqa: F401
from harness.generation.backends.base import BACKENDS, Backend, ModelSpec, backend


def _import_hf() -> None:
    from harness.generation.backends import hf  # noqa: F401  (registers "hf")


def _import_openai() -> None:
    from harness.generation.backends import openai  # noqa: F401  (registers "openai")


_LAZY: dict[str, Callable[[], None]] = {"hf": _import_hf, "openai": _import_openai}


def backend_class(name: str) -> type:
    """The backend class registered under ``name`` (importing a built-in heavy one on first use)."""
    if name in _LAZY:
        _LAZY[name]()
    return BACKENDS.get(name)


def create_backend(spec: ModelSpec) -> Backend:
    """Build the backend for a spec (nothing heavy is loaded until it generates)."""
    return backend_class(spec.backend)(spec)


__all__ = ["BACKENDS", "Backend", "ModelSpec", "backend", "backend_class", "create_backend"]

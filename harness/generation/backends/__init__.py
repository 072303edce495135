"""Model backends. Importing this package registers the built-in light ones;
heavy ones (hf, openai) are imported on first use by name."""

from harness.generation.backends import fake, replay  # noqa: F401
from harness.generation.backends.base import BACKENDS, Backend, ModelSpec, backend

_LAZY = {"hf": "harness.generation.backends.hf", "openai": "harness.generation.backends.openai"}


def backend_class(name: str) -> type:
    """The backend class registered under ``name`` (importing a built-in heavy one on first use)."""
    if name in _LAZY:
        import importlib

        importlib.import_module(_LAZY[name])
    return BACKENDS.get(name)


def create_backend(spec: ModelSpec) -> Backend:
    """Build the backend for a spec (nothing heavy is loaded until it generates)."""
    return backend_class(spec.backend)(spec)


__all__ = ["BACKENDS", "Backend", "ModelSpec", "backend", "backend_class", "create_backend"]

"""Model backends. Importing this package registers the built-in light ones;
heavy ones (hf, openai) are imported on first use by name."""

from harness.backends import fake, replay  # noqa: F401
from harness.backends.base import BACKENDS, Backend, ModelSpec, backend

_LAZY = {"hf": "harness.backends.hf", "openai": "harness.backends.openai"}


def create_backend(spec: ModelSpec) -> Backend:
    """Build the backend for a spec (nothing heavy is loaded until it generates)."""
    if spec.backend in _LAZY:
        import importlib

        importlib.import_module(_LAZY[spec.backend])
    return BACKENDS.get(spec.backend)(spec)


__all__ = ["BACKENDS", "Backend", "ModelSpec", "backend", "create_backend"]

"""Executors: where generation runs. ``local`` (this process) or ``ray`` (actors on a Ray cluster).

An executor takes a model spec and requests and yields ``(index, Generation)`` as results
complete; it never touches the cache (the caller owns keys and caching), so the same requests
give the same cache keys whichever executor runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from harness.errors import UsageError
from harness.generation.backends import create_backend
from harness.generation.backends.base import ModelSpec
from harness.types import Generation, GenerationRequest


class Executor(Protocol):
    """Runs a backend over requests somewhere."""

    def run(self, spec: ModelSpec, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index into requests, Generation)`` in any order."""

    def close(self) -> None:
        """Release workers (a no-op where there are none)."""


class LocalExecutor:
    """Generation in this process through the spec's backend."""

    def run(self, spec: ModelSpec, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        if not requests:
            return
        backend = create_backend(spec)
        try:
            yield from backend.generate(requests)
        finally:
            backend.close()

    def close(self) -> None:
        """Nothing held between runs."""


def _local(address: str | None, workers: int | None) -> Executor:
    return LocalExecutor()


def _ray(address: str | None, workers: int | None) -> Executor:
    try:
        from harness.generation.executors.ray import RayExecutor
    except ImportError as exc:
        raise UsageError(f"the ray executor needs the 'ray' package ({exc}); "
                         "install it with: pip install 'harness[ray]'") from None
    return RayExecutor(address=address, workers=workers or 2)


ExecutorFactory = Callable[[str | None, int | None], Executor]
EXECUTOR_FACTORIES: dict[str, ExecutorFactory] = {"local": _local, "ray": _ray}
EXECUTORS = tuple(EXECUTOR_FACTORIES)


def make_executor(name: str, address: str | None = None, workers: int | None = None) -> Executor:
    """``local`` or ``ray`` (``address``: a ``ray://`` or ``host:port`` cluster, else a local one)."""
    factory = EXECUTOR_FACTORIES.get(name)
    if factory is None:
        raise UsageError(f"unknown executor '{name}'; use one of: {', '.join(EXECUTORS)}")
    return factory(address, workers)

"""``ray`` executor: data-parallel generation over Ray actors.

Each actor builds the spec's backend once (so it loads the model once) and generates chunks
of requests; the driver hands out chunks as actors finish (two in flight per actor) and yields
results as chunks complete. Seeds travel inside the requests and the driver owns the cache, so
results and cache keys are the same as a single-process run.

``address=None`` starts a local Ray instance (or joins one named by ``RAY_ADDRESS``); otherwise
``ray://host:10001`` or ``host:6379`` joins an existing cluster, whose nodes must be able to
import ``harness`` and any custom backend module (install them, or pass a ``runtime_env``).
A chunk whose actor fails becomes infrastructure errors on its requests; the rest go on.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ray

from harness.errors import InfrastructureError
from harness.generation.backends.base import ModelSpec
from harness.types import Generation, GenerationRequest

IN_FLIGHT_PER_WORKER = 2
MAX_CHUNK = 64


class _Worker:
    """One Ray actor: the backend built once, then chunk after chunk."""

    def __init__(self, factory: Any, spec: ModelSpec) -> None:
        self.backend = factory(spec)

    def generate(self, requests: list[GenerationRequest]) -> list[tuple[int, Generation]]:
        return list(self.backend.generate(requests))

    def close(self) -> None:
        self.backend.close()


def chunk_bounds(total: int, workers: int, chunk_size: int | None = None) -> list[range]:
    """Split ``range(total)`` into chunks: about four per worker, at most ``MAX_CHUNK`` long."""
    size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(total / (workers * 4))))
    return [range(start, min(start + size, total)) for start in range(0, total, size)]


def local_runtime_env() -> dict[str, Any]:
    """Workers import the same ``harness`` as this process, and modules from the working directory."""
    import harness

    package_root = Path(harness.__file__).resolve().parent.parent  # the folder that holds ``harness/``
    paths = [str(package_root), os.getcwd()]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}}


class RayExecutor:
    """Spread generation over ``workers`` Ray actors."""

    def __init__(self, address: str | None = None, workers: int = 2, *, chunk_size: int | None = None,
                 num_cpus: float = 1, num_gpus: float = 0, runtime_env: dict[str, Any] | None = None) -> None:
        self.address, self.workers, self.chunk_size = address, max(1, workers), chunk_size
        self.num_cpus, self.num_gpus, self.runtime_env = num_cpus, num_gpus, runtime_env
        self.last_run: dict[str, int] = {}  # actor index -> chunks it generated, for reports and tests

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        try:
            if self.address is None and not os.environ.get("RAY_ADDRESS"):
                cpus = max(os.cpu_count() or 1, math.ceil(self.workers * self.num_cpus))
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                         runtime_env=self.runtime_env or local_runtime_env())
            else:
                ray.init(address=self.address, runtime_env=self.runtime_env, log_to_driver=False)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            where = self.address or os.environ.get("RAY_ADDRESS") or "a local instance"
            raise InfrastructureError(f"ray: could not start or join {where}: {exc}") from exc

    def run(self, spec: ModelSpec, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        if not requests:
            return
        self._connect()
        factory = _backend_class(spec)
        remote = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus)(_Worker)
        actors = [remote.remote(factory, spec) for _ in range(min(self.workers, len(requests)))]
        try:
            yield from self._dispatch(actors, list(requests))
        finally:
            for actor in actors:
                ray.kill(actor)

    def _dispatch(self, actors: list[Any], requests: list[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        chunks = deque(chunk_bounds(len(requests), len(actors), self.chunk_size))
        pending: dict[Any, tuple[int, range]] = {}
        alive = set(range(len(actors)))
        self.last_run = {}

        def submit(worker: int) -> None:
            if chunks and worker in alive:
                chunk = chunks.popleft()
                ref = actors[worker].generate.remote([requests[i] for i in chunk])
                pending[ref] = (worker, chunk)

        for worker in range(len(actors)):
            for _ in range(IN_FLIGHT_PER_WORKER):
                submit(worker)
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            worker, chunk = pending.pop(ref)
            try:
                results = ray.get(ref)
            except ray.exceptions.RayError as exc:
                if isinstance(exc, ray.exceptions.RayActorError):
                    alive.discard(worker)
                results = [(j, _failed(exc)) for j in range(len(chunk))]
            else:
                self.last_run[str(worker)] = self.last_run.get(str(worker), 0) + 1
            for j, generation in results:
                yield chunk[j], generation
            submit(worker)
            if not alive:
                while chunks:
                    for i in chunks.popleft():
                        yield i, Generation(output="", error="ray: every worker died; not generated")

    def close(self) -> None:
        """Actors end with each run; the Ray connection is left to the process (ray shuts it down at exit)."""


def _backend_class(spec: ModelSpec) -> Any:
    """The backend class, resolved here so actors get it by reference (custom backends included)."""
    from harness.generation.backends import backend_class

    return backend_class(spec.backend)


def _failed(exc: BaseException) -> Generation:
    text = str(exc).strip().splitlines()
    return Generation(output="", error=f"ray: worker failed: {type(exc).__name__}: {text[-1] if text else ''}")

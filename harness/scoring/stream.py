"""Score cases as their generations finish, a chunk at a time, and hand each chunk on (to the store).

A run of 100,000 cases then keeps no second copy of every request's generation waiting for the end,
and an interrupted run has already stored the cases it finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from harness.scoring.score import score_generations
from harness.types import Case, CaseResult, Generation, GenerationRequest

CHUNK_CASES = 1000     # score and save once this many cases are finished ...
CHUNK_SECONDS = 10.0   # ... or once this long has passed since the last save (slow models)


class CaseStream:
    """The ``sink`` of :func:`harness.generation.generate.generate`: collects generations per case,
    scores every finished case in chunks, and passes each chunk's results to ``save``."""

    def __init__(self, cases: Sequence[Case], requests: Sequence[GenerationRequest],
                 save: Callable[[list[CaseResult]], None] | None = None, chunk: int | None = None,
                 seconds: float | None = None) -> None:
        self.cases, self.requests, self.save = cases, requests, save
        self.chunk = chunk or CHUNK_CASES
        self.seconds = CHUNK_SECONDS if seconds is None else seconds
        self.by_id = {c.id: c for c in cases}
        self.indexes: dict[str, list[int]] = {c.id: [] for c in cases}
        for i, request in enumerate(requests):
            self.indexes[request.case_id].append(i)
        self.pending = {case_id: len(found) for case_id, found in self.indexes.items()}
        self.generations: dict[int, Generation] = {}
        self.ready: list[str] = []
        self.results: dict[str, CaseResult] = {}
        self.last_save = time.monotonic()

    def __call__(self, index: int, generation: Generation) -> None:
        """One request's final generation; a case whose last one this is becomes ready to score."""
        self.generations[index] = generation
        case_id = self.requests[index].case_id
        self.pending[case_id] -= 1
        if self.pending[case_id] == 0:
            self.ready.append(case_id)
            if len(self.ready) >= self.chunk or time.monotonic() - self.last_save >= self.seconds:
                self._score(self.ready)

    def finish(self, generations: Sequence[Generation]) -> list[CaseResult]:
        """Score every case not scored yet with ``generations`` (the outcome: failures included) and
        return all cases' results in suite order."""
        rest = [c.id for c in self.cases if c.id not in self.results]
        for case_id in rest:
            for i in self.indexes[case_id]:
                self.generations[i] = generations[i]
        for start in range(0, len(rest), self.chunk):
            self._score(rest[start:start + self.chunk])
        return [self.results[c.id] for c in self.cases]

    def _score(self, case_ids: list[str]) -> None:
        chosen = list(case_ids)
        taken = set(chosen)
        self.ready = [c for c in self.ready if c not in taken]
        indexes = [i for case_id in chosen for i in self.indexes[case_id]]
        results = score_generations([self.by_id[c] for c in chosen], [self.requests[i] for i in indexes],
                                    [self.generations.pop(i) for i in indexes])
        if self.save is not None:
            self.save(results)
        self.results.update((r.case_id, r) for r in results)
        self.last_save = time.monotonic()

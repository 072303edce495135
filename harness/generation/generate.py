"""Generation: suite cases -> requests -> (cache | executor) -> generations.

Cached generations are served without constructing a model; misses go to the
executor (in-process backend, or Ray actors) and are cached one by one as they
arrive, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.generation.backends import ModelSpec, create_backend
from harness.generation.cache import GenerationCache, cache_key
from harness.generation.progress import RunProgress, current_progress, run_progress
from harness.generation.sanitize import clean_generation
from harness.project.prompts import render_many
from harness.types import Case, Generation, GenerationRequest, GenParams

if TYPE_CHECKING:  # suites import the check types, and judge checks generate
    from harness.project.suites import Suite

log = logging.getLogger(__name__)
PARAM_FIELDS = ("max_new_tokens", "temperature", "top_p", "top_k", "stop", "seed")


def derive_seed(run_seed: int, case_id: str, sample: int, variant: str = "main") -> int:
    """A per-(case, sample) seed, independent of batching and order."""
    digest = hashlib.sha256(f"{run_seed}\x1f{case_id}\x1f{variant}\x1f{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big")  # the first 8 hex digits


def merge_params(*layers: dict[str, Any]) -> GenParams:
    """Later layers win: model spec < prompt < suite defaults < case."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if k in PARAM_FIELDS and v is not None})
    if "stop" in merged:
        merged["stop"] = tuple(merged["stop"])
    return GenParams(**merged)


def case_params(suite: Suite, case: Case, spec: ModelSpec,
                overrides: Mapping[str, Any] | None = None) -> GenParams:
    """Precedence, last wins: model < prompt < suite defaults < case < command line (``--param``)."""
    return merge_params(spec.params, suite.prompt.params, suite.params, case.params, dict(overrides or {}))


def overridden_model_params(suite: Suite, case: Case, spec: ModelSpec,
                            overrides: Mapping[str, Any] | None = None) -> list[str]:
    """Model-level parameters that the prompt, suite or case replace with another value."""
    effective = case_params(suite, case, spec, overrides).as_dict()
    return [f"{key}={value!r} (used: {effective[key]!r})" for key, value in spec.params.items()
            if key in effective and key not in (overrides or {}) and effective[key] != _as_merged(key, value)]


def _as_merged(key: str, value: Any) -> Any:
    return list(value) if key == "stop" and value is not None else value


def build_requests(suite: Suite, cases: Sequence[Case], spec: ModelSpec, samples: int,
                   run_seed: int, paraphrases: bool = True,
                   overrides: Mapping[str, Any] | None = None) -> list[GenerationRequest]:
    """K requests per case, plus K per paraphrase."""
    requests = []
    variants = {case.id: [("main", case.vars)] + ([(f"paraphrase-{i + 1}", {**case.vars, **p})
                                                   for i, p in enumerate(case.paraphrases)] if paraphrases else [])
                for case in cases}
    prompts = iter(render_many(suite.prompt, [(v, case.id) for case in cases for _, v in variants[case.id]]))
    shared = None   # the parameters of every case that sets none of its own (merged once)
    for case in cases:
        if case.params:
            params = case_params(suite, case, spec, overrides)
        else:
            params = shared = shared or case_params(suite, case, spec, overrides)
        seed_base = params.seed if params.seed else run_seed
        for variant, _ in variants[case.id]:
            prompt = next(prompts)
            for sample in range(samples):
                requests.append(GenerationRequest(
                    case_id=case.id, sample=sample, prompt=prompt, params=params,
                    seed=derive_seed(seed_base, case.id, sample, variant), suite_id=suite.id,
                    variant=variant))
    return requests


@dataclass
class GenerateOptions:
    use_cache: bool = True
    progress: bool = True
    executor: str = "local"
    executor_address: str | None = None
    workers: int | None = None
    description: str = "generating"


@dataclass(frozen=True)
class GenerationOutcome:
    generations: list[Generation]
    fingerprint: dict[str, Any]
    generated: int
    cached: int
    failure: str | None = None  # set when the backend died mid-run


def generate(requests: Sequence[GenerationRequest], spec: ModelSpec, cache: GenerationCache | None,
             options: GenerateOptions, backend: Any = None,
             sink: Callable[[int, Generation], None] | None = None) -> GenerationOutcome:
    """Serve requests from the cache, generate the rest, cache each as it arrives.

    ``sink(index, generation)`` is told of each request's final generation as soon as it is known
    (cache hits first, then generations as they arrive; a greedy copy with its sample 0), so a
    caller can score and store finished cases while the rest are generated.

    On a backend whose greedy decoding is deterministic (``greedy_is_deterministic``: hf, fake),
    greedy (temperature 0) samples after the first are not generated: they would be identical,
    so sample 0's generation is reused for them, marked ``meta["copy_of_sample"] = 0``. Recorded
    outputs and servers may differ between samples, so every sample of theirs is kept.
    """
    backend = backend if backend is not None else create_backend(spec)
    fingerprint = backend.fingerprint()
    use_cache = cache is not None and options.use_cache and getattr(backend, "cacheable", True)
    copies = greedy_copies(requests) if getattr(backend, "greedy_is_deterministic", False) else {}
    keys = [cache_key(fingerprint, r) for r in requests] if use_cache else []
    results: list[Generation | None] = [None] * len(requests)
    done = _Done(results, copies, sink)
    if use_cache:
        hits = cache.get_many(k for i, k in enumerate(keys) if i not in copies)  # type: ignore[union-attr]
        for i, key in enumerate(keys):
            results[i] = None if i in copies else hits.get(key)
    misses = [i for i, r in enumerate(results) if r is None and i not in copies]
    for i, generation in enumerate(results):
        if generation is not None:
            done(i, generation)
    failure = None
    with _progress(options) as progress:
        progress.start_generation(len(misses), len(requests) - len(misses) - len(copies),
                                  sum(requests[i].params.max_new_tokens for i in misses))
        try:
            for j, generation in _run(backend, spec, [requests[i] for i in misses], options):
                index = misses[j]
                results[index] = generation = clean_generation(generation)
                if use_cache and generation.error is None:
                    cache.put_many([(keys[index], generation)])  # type: ignore[union-attr]
                progress.row_done(requests[index].params.max_new_tokens, generation.new_tokens)
                done(index, generation)
        except HarnessError as exc:
            if exc.exit_code != 3:
                raise
            failure = str(exc)
        except Exception as exc:  # a backend crash must not lose finished work
            log.exception("backend failed")
            failure = f"{type(exc).__name__}: {exc}"
        finally:
            backend.close()
            progress.end_generation()
    for index, source in copies.items():
        if results[source] is not None and results[index] is None:
            results[index] = _copy(results[source])
    final = [r if r is not None else Generation(output="", error=failure or "not generated") for r in results]
    return GenerationOutcome(final, fingerprint, generated=sum(1 for i in misses if results[i] is not None
                                                               and results[i].error is None),
                             cached=len(requests) - len(misses) - len(copies), failure=failure)


def _copy(generation: Generation) -> Generation:
    return replace(generation, meta={**generation.meta, "copy_of_sample": 0})


class _Done:
    """Tells the sink of a final generation, and of the greedy copies made from it."""

    def __init__(self, results: list[Generation | None], copies: dict[int, int],
                 sink: Callable[[int, Generation], None] | None) -> None:
        self.results, self.sink = results, sink
        self.copies_of: dict[int, list[int]] = {}
        if sink is not None:
            for index, source in copies.items():
                self.copies_of.setdefault(source, []).append(index)

    def __call__(self, index: int, generation: Generation) -> None:
        if self.sink is None:
            return
        self.sink(index, generation)
        for copy in self.copies_of.get(index, ()):
            self.results[copy] = _copy(generation)
            self.sink(copy, self.results[copy])  # type: ignore[arg-type]


def greedy_copies(requests: Sequence[GenerationRequest]) -> dict[int, int]:
    """Index of each greedy request with ``sample > 0`` -> index of its sample 0 (same case and variant)."""
    firsts = {(r.suite_id, r.case_id, r.variant): i for i, r in enumerate(requests) if r.sample == 0}
    copies = {}
    for i, r in enumerate(requests):
        first = firsts.get((r.suite_id, r.case_id, r.variant))
        if r.sample > 0 and r.params.greedy and first is not None and requests[first].params == r.params:
            copies[i] = first
    return copies


def _run(backend: Any, spec: ModelSpec, requests: list[GenerationRequest],
         options: GenerateOptions) -> Iterator[tuple[int, Generation]]:
    if not requests:
        return iter(())
    if options.executor == "local":
        return backend.generate(requests)
    from harness.generation.executors import make_executor

    executor = make_executor(options.executor, options.executor_address, options.workers)
    return executor.run(spec, requests)


@contextmanager
def _progress(options: GenerateOptions) -> Iterator[RunProgress]:
    """The current run's progress, or one of our own (``options.description``) outside a run."""
    current = current_progress()
    if current is not None:
        yield current
        return
    with run_progress(options.description, options.progress) as progress:
        yield progress

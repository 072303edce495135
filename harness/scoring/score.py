"""Scoring: generations -> Scores -> CaseResults.

Each distinct check config is built once and scores all its outputs in one batch
(so similarity encodes in batches and code tests run in a pool). A scorer that
crashes is recorded as an error on those scores; the run goes on.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from harness.errors import InfrastructureError
from harness.scoring.checks import CHECK_TYPES, CheckConfig, ScoreItem
from harness.scoring.checks.extract import score_with_options
from harness.scoring.checks.judge import JudgeConfig
from harness.types import Case, CaseResult, Generation, GenerationRequest, SampleResult, Score

log = logging.getLogger(__name__)


def score_generations(cases: Sequence[Case], requests: Sequence[GenerationRequest],
                      generations: Sequence[Generation]) -> list[CaseResult]:
    """Score every successful generation with its case's checks and assemble CaseResults."""
    by_id = {c.id: c for c in cases}
    scores = _score_all(by_id, requests, generations)
    samples: dict[tuple[str, str], list[SampleResult]] = defaultdict(list)
    for i, (request, gen) in enumerate(zip(requests, generations)):
        own = scores.get(i, ())
        passed = gen.error is None and case_passes(own, by_id[request.case_id].threshold)
        samples[(request.case_id, request.variant)].append(SampleResult(
            sample=request.sample, output=gen.output, scores=own, passed=passed, error=gen.error,
            new_tokens=gen.new_tokens, latency_s=gen.latency_s, cached=gen.cached, variant=request.variant))
    sampled = {r.case_id for r in requests if not r.params.greedy}
    sampled |= {c.id for c in cases if any(isinstance(k, JudgeConfig) and k.sampled for k in c.checks)}
    results = []
    for case in cases:
        main = tuple(_in_order(samples.get((case.id, "main"), [])))
        paraphrases = tuple(
            tuple(sorted(samples[(case.id, f"paraphrase-{j + 1}")], key=lambda s: s.sample))
            for j in range(len(case.paraphrases)) if (case.id, f"paraphrase-{j + 1}") in samples)
        results.append(CaseResult(case_id=case.id, samples=main, tags=case.tags, reference=case.reference,
                                  paraphrases=paraphrases, sampled=case.id in sampled, group=case.group))
    return results


def _in_order(samples: list[SampleResult]) -> list[SampleResult]:
    return samples if len(samples) < 2 else sorted(samples, key=lambda s: s.sample)


def case_passes(scores: Sequence[Score], threshold: float | None) -> bool:
    """Every check passes; with a case ``threshold``, the weighted share of passing checks reaches it."""
    if threshold is None:
        return all(s.passed for s in scores)
    total = sum(s.weight for s in scores)
    if total <= 0:
        return all(s.passed for s in scores)
    return sum(s.weight for s in scores if s.passed) / total >= threshold


def _config_key(config: CheckConfig) -> str:
    return json.dumps(config.model_dump(mode="json"), sort_keys=True, default=str)


def _score_all(cases: dict[str, Case], requests: Sequence[GenerationRequest],
               generations: Sequence[Generation]) -> dict[int, tuple[Score, ...]]:
    """Each scored generation's scores in its case's check order (compare-only checks left out)."""
    groups: dict[str, tuple[CheckConfig, list[tuple[int, int]]]] = {}
    keys: dict[int, str | None] = {}  # cases share check objects: each is keyed once (None: compare-only)
    for i, (request, gen) in enumerate(zip(requests, generations)):
        if gen.error is not None:
            continue
        for position, config in enumerate(cases[request.case_id].checks):
            if id(config) not in keys:
                keys[id(config)] = None if _compare_only(config) else _config_key(config)
            key = keys[id(config)]
            if key is not None:
                if key not in groups:
                    groups[key] = (config, [])
                groups[key][1].append((i, position))
    placed: dict[int, list[tuple[int, Score]]] = defaultdict(list)
    batches = [(config, members, [ScoreItem(generations[i].output, cases[requests[i].case_id],
                                                   requests[i].prompt.text) for i, _ in members])
               for config, members in groups.values()]
    for (_, members, _), scores in zip(batches, _run_batches(batches)):
        for (i, position), score in zip(members, scores):
            placed[i].append((position, score))
    return {i: (by_pos[0][1],) if len(by_pos) == 1 else tuple(score for _, score in sorted(by_pos))
            for i, by_pos in placed.items()}


def _run_batches(batches: list[tuple[CheckConfig, list[tuple[int, int]], list[ScoreItem]]]) -> list[list[Score]]:
    """Score each batch; batches of check types with ``concurrent_groups`` (code-tests: one
    config per case) run side by side, each in a copy of this context."""
    results: list[list[Score] | None] = [None] * len(batches)
    concurrent = [n for n, (config, _, _) in enumerate(batches) if _concurrent(config)]
    with ThreadPoolExecutor(max_workers=max(1, min(len(concurrent), 64))) as pool:
        futures = {n: pool.submit(contextvars.copy_context().run, _run_scorer, batches[n][0], batches[n][2])
                   for n in concurrent}
        for n, (config, _, items) in enumerate(batches):
            if n not in futures:
                results[n] = _run_scorer(config, items)
        for n, future in futures.items():
            results[n] = future.result()
    return [r or [] for r in results]


def _compare_only(config: CheckConfig) -> bool:
    return config.type in CHECK_TYPES and CHECK_TYPES.get(config.type).compare_only


def _concurrent(config: CheckConfig) -> bool:
    return config.type in CHECK_TYPES and CHECK_TYPES.get(config.type).concurrent_groups


def _run_scorer(config: CheckConfig, items: list[ScoreItem]) -> list[Score]:
    try:
        scorer = CHECK_TYPES.get(config.type)(config)
        scores = score_with_options(config, items, scorer.score)
        if len(scores) != len(items):
            raise RuntimeError(f"scorer returned {len(scores)} scores for {len(items)} outputs")
        return scores
    except InfrastructureError:  # a judge server that failed: the run stops, finished work is cached
        raise
    except Exception as exc:  # one broken scorer must not stop the run
        log.warning("check %s failed: %s", config.display_name, exc)
        return [Score(check=config.display_name, type=config.type, passed=False,
                      reason=f"scorer error: {type(exc).__name__}: {exc}", weight=config.weight, error=True)
                for _ in items]

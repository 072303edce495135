"""Consistency of one version's samples: agreement, pairwise similarity, pass@k, paraphrases."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import fmean
from typing import Protocol

from harness.analysis import stats
from harness.scoring.textpairs import SimilarityBatch
from harness.types import SampleResult


@dataclass(frozen=True)
class Consistency:
    """Agreement among one version's samples of one case."""

    agreement: float                       # share of the most common (normalised) answer
    distinct_answers: int
    mean_pairwise_similarity: float | None  # None with fewer than two samples
    pass_at_k: dict[int, float]             # unbiased pass@k
    pass_hat_k: dict[int, float]            # pass^k: all k pass


@dataclass(frozen=True)
class ParaphraseResult:
    """One paraphrase of a case, scored like the case and compared with the main answer."""

    index: int
    n: int
    passed: int
    pass_agreement: float | None   # share of its samples whose pass/fail matches the main answer's
    similarity: float | None       # mean cosine to the main outputs, paired by sample
    outputs: tuple[str, ...]

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0


@dataclass(frozen=True)
class ConsistencySummary:
    """One version's consistency over a suite."""

    mean_agreement: float | None
    mean_pairwise_similarity: float | None
    pass_at_k: dict[int, float]
    pass_hat_k: dict[int, float]
    paraphrase_pass_agreement: float | None
    paraphrase_similarity: float | None


class SideLike(Protocol):
    """What a suite summary needs of one version of one case."""

    @property
    def n(self) -> int: ...
    @property
    def passed(self) -> int: ...
    @property
    def consistency(self) -> Consistency: ...
    @property
    def paraphrases(self) -> tuple[ParaphraseResult, ...]: ...


_SPACE = re.compile(r"\s+")


def normalise_answer(text: str) -> str:
    """The form used to decide whether two answers agree: trimmed, spaces collapsed, casefolded."""
    return _SPACE.sub(" ", text.strip()).casefold()


def sample_ks(n: int) -> list[int]:
    """The k's reported for pass@k and pass^k with n samples."""
    return sorted({k for k in (1, 2, 3, 5, 10, 20, 50, 100) if k <= n} | ({n} if n else set()))


def measure_consistency(valid: Sequence[SampleResult], pairs: list[tuple[str, str]],
                        batch: SimilarityBatch) -> Consistency:
    """Consistency of one side's scorable samples; ``pairs`` are its sample pairs in ``batch``."""
    n, c = len(valid), sum(s.passed for s in valid)
    counts = Counter(normalise_answer(s.output) for s in valid) if n > 1 else {valid[0].output: 1} if n else {}
    at_k, hat_k = _pass_k(n, c)
    return Consistency(agreement=max(counts.values()) / n if n else 0.0, distinct_answers=len(counts),
                       mean_pairwise_similarity=batch.mean(pairs), pass_at_k=dict(at_k), pass_hat_k=dict(hat_k))


@lru_cache(maxsize=1024)
def _pass_k(n: int, c: int) -> tuple[tuple[tuple[int, float], ...], tuple[tuple[int, float], ...]]:
    """((k, pass@k), ...) and ((k, pass^k), ...) for every k of ``sample_ks(n)``: the same few (n, c)
    recur in every case of a suite."""
    ks = sample_ks(n)
    return tuple((k, stats.pass_at_k(n, c, k)) for k in ks), tuple((k, stats.pass_hat_k(n, c, k)) for k in ks)


def mean_or_none(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def suite_pass_at_k(sides: Sequence[tuple[int, int]], *, hat: bool = False) -> dict[int, float]:
    """The one suite pass@k (or pass^k with ``hat``): the mean over scored cases of (n, passed),
    for every k in ``sample_ks`` of the smallest n (the k's every scored case has)."""
    scored = [(n, c) for n, c in sides if n]
    ks = sample_ks(min((n for n, _ in scored), default=0))
    fn = stats.pass_hat_k if hat else stats.pass_at_k
    return {k: fmean([fn(n, c, k) for n, c in scored]) for k in ks}


def summarize_consistency(sides: Sequence[SideLike]) -> ConsistencySummary:
    """Suite means for one version (pass@k over the k's every scored case has)."""
    scored = [s for s in sides if s.n]
    counts = [(s.n, s.passed) for s in scored]
    paraphrases = [p for s in scored for p in s.paraphrases]
    return ConsistencySummary(
        mean_agreement=mean_or_none([s.consistency.agreement for s in scored]),
        mean_pairwise_similarity=mean_or_none([s.consistency.mean_pairwise_similarity for s in scored]),
        pass_at_k=suite_pass_at_k(counts), pass_hat_k=suite_pass_at_k(counts, hat=True),
        paraphrase_pass_agreement=mean_or_none([p.pass_agreement for p in paraphrases]),
        paraphrase_similarity=mean_or_none([p.similarity for p in paraphrases]))

"""Drift between two versions' answers to one case, whether they pass or fail."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import fmean
from typing import Literal

from harness.analysis import stats
from harness.analysis.refusal import is_refusal
from harness.scoring.checks.overlap import prefetch_rouge, rouge_f
from harness.scoring.checks.structured import parse_json_output
from harness.scoring.textpairs import SimilarityBatch

DRIFT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MOST_DRIFTED = 5


@dataclass(frozen=True)
class Drift:
    """How far the candidate's answers moved from the baseline's, pass or fail."""

    value: float | None            # 1 - similarity (1 - rouge_l without embeddings)
    similarity: float | None       # mean cosine of paired samples
    rouge_l: float | None          # mean ROUGE-L F of paired samples (baseline as reference)
    length_delta: float            # mean characters, candidate minus baseline
    length_ratio: float | None
    json_valid_baseline: float     # share of samples that parse as JSON
    json_valid_candidate: float
    refusal_baseline: float        # share of samples that read as refusals
    refusal_candidate: float


@dataclass(frozen=True)
class DriftSummary:
    basis: Literal["similarity", "rouge-l"]
    mean: float | None
    quantiles: dict[str, float]
    most_drifted: tuple[tuple[str, float], ...]
    refusal_increases: tuple[str, ...]
    refusal_decreases: tuple[str, ...]
    json_validity_losses: tuple[str, ...]
    json_validity_gains: tuple[str, ...]


def _share(outputs: Sequence[str], predicate: Callable[[str], bool]) -> float:
    return sum(map(predicate, outputs)) / len(outputs) if outputs else 0.0


_JSON_START = tuple('{["-0123456789') + ("true", "false", "null")


@lru_cache(maxsize=8192)
def _is_json(text: str) -> bool:
    """Whether the output parses as JSON (a fenced block counts); most text fails on its first character.
    Remembered, like ``_refuses``, for the short answers that recur across cases ("B", "yes", "42")."""
    stripped = text.lstrip()
    if not stripped.startswith(_JSON_START) and "```" not in text:
        return False
    return parse_json_output(text)[1] is None


_refuses = lru_cache(maxsize=8192)(is_refusal)


def _rouge_l(a: str, b: str) -> float:
    return 1.0 if a == b else rouge_f("rougeL", a, b)


def prefetch_drift_scores(pairs: Iterable[tuple[str, str]]) -> None:
    """Read the remembered ROUGE-L of every (baseline, candidate) pair at once (``measure_drift`` needs them)."""
    prefetch_rouge("rougeL", (pair for pair in pairs if pair[0] != pair[1]))


def measure_drift(base: Sequence[str], cand: Sequence[str], pairs: list[tuple[str, str]],
                  batch: SimilarityBatch) -> Drift:
    """Drift from the scorable outputs of each side and their (baseline, candidate) sample pairs."""
    similarity = batch.mean(pairs)
    rouge = sum(_rouge_l(a, b) for a, b in pairs) / len(pairs) if pairs else None
    base_len = sum(map(len, base)) / len(base) if base else 0.0
    cand_len = sum(map(len, cand)) / len(cand) if cand else 0.0
    basis = similarity if similarity is not None else rouge
    return Drift(value=None if basis is None else max(0.0, 1.0 - basis), similarity=similarity,
                 rouge_l=rouge, length_delta=cand_len - base_len,
                 length_ratio=cand_len / base_len if base_len else None,
                 json_valid_baseline=_share(base, _is_json), json_valid_candidate=_share(cand, _is_json),
                 refusal_baseline=_share(base, _refuses), refusal_candidate=_share(cand, _refuses))


def summarize_drift(cases: Sequence[tuple[str, Drift]], basis: Literal["similarity", "rouge-l"]) -> DriftSummary:
    """Quantiles, the most drifted cases and refusal / JSON-validity changes over (case id, drift)."""
    drifted = [(cid, d.value) for cid, d in cases if d.value is not None]
    values = [v for _, v in drifted]
    qs = stats.quantiles(values, DRIFT_QUANTILES)
    top = sorted(drifted, key=lambda item: -item[1])[:MOST_DRIFTED]
    return DriftSummary(
        basis=basis, mean=fmean(values) if values else None,
        quantiles={f"p{round(q * 100)}": v for q, v in zip(DRIFT_QUANTILES, qs)},
        most_drifted=tuple((cid, v) for cid, v in top if v > 0),
        refusal_increases=tuple(cid for cid, d in cases if d.refusal_candidate > d.refusal_baseline),
        refusal_decreases=tuple(cid for cid, d in cases if d.refusal_candidate < d.refusal_baseline),
        json_validity_losses=tuple(cid for cid, d in cases if d.json_valid_candidate < d.json_valid_baseline),
        json_validity_gains=tuple(cid for cid, d in cases if d.json_valid_candidate > d.json_valid_baseline))

"""Reference-based n-gram overlap: rouge-l and rouge-1 (the ``rouge-score`` library)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type
from harness.types import Score


class RougeConfig(CheckConfig):
    min: float = 0.0
    value: str | None = None  # an explicit reference; defaults to the case's `reference`


@lru_cache(maxsize=4)
def _rouge(kind: str):
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([kind], use_stemmer=True)


_memo: dict[tuple[str, str, str], float] = {}
_MEMO_MAX = 65536


def rouge_f(kind: str, reference: str, output: str) -> float:
    """ROUGE F-measure of ``output`` against ``reference`` (kind: rougeL or rouge1).

    Pairs scored before come from the machine's score cache (``harness.scoring.embedding_cache``),
    so a rerun over known outputs does not import rouge-score; within a process, from memory.
    """
    key = (kind, reference, output)
    value = _memo.get(key)
    if value is None:
        value = _remember(key, _rouge_f(kind, reference, output))
    return value


def prefetch_rouge(kind: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Read the machine's remembered scores of these (reference, output) pairs in one go, so
    that ``rouge_f`` finds them in memory (one query, not one per pair)."""
    from harness.scoring.embeddings import score_cache

    todo = [pair for pair in dict.fromkeys(pairs) if (kind, *pair) not in _memo]
    cache = score_cache() if todo else None
    if cache is not None:
        for (reference, output), value in cache.pair_scores(kind, todo).items():
            _remember((kind, reference, output), value)


def _remember(key: tuple[str, str, str], value: float) -> float:
    if len(_memo) >= _MEMO_MAX:
        _memo.clear()
    _memo[key] = value
    return value


def _rouge_f(kind: str, reference: str, output: str) -> float:
    from harness.scoring.embeddings import score_cache

    cache = score_cache()
    known = cache.pair_score(kind, reference, output) if cache is not None else None
    if known is not None:
        return known
    value = float(_rouge(kind).score(reference, output)[kind].fmeasure)
    if cache is not None:
        cache.put_pair_score(kind, reference, output, value)
    return value


class _Rouge(Scorer):
    Config = RougeConfig
    kind = ""
    uses_reference = True

    def score_one(self, item: ScoreItem) -> Score:
        cfg: RougeConfig = self.config  # type: ignore[assignment]
        reference = self.expected(item)
        if reference is None:
            return self.make(False, "no reference to compare with", error=True)
        value = rouge_f(self.kind, reference, item.output)
        ok = value >= cfg.min
        return self.make(ok, f"{self.type_name} {value:.3f} {'>=' if ok else '<'} {cfg.min}", value, cfg.min)


@check_type("rouge-l")
class RougeL(_Rouge):
    kind = "rougeL"


@check_type("rouge-1")
class Rouge1(_Rouge):
    kind = "rouge1"

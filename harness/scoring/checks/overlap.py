"""Reference-based n-gram overlap: rouge-l and rouge-1 (the ``rouge-score`` library)."""

from __future__ import annotations

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


def rouge_f(kind: str, reference: str, output: str) -> float:
    """ROUGE F-measure of ``output`` against ``reference`` (kind: rougeL or rouge1).

    Pairs scored before come from the machine's score cache (``harness.scoring.embedding_cache``),
    so a rerun over known outputs does not import rouge-score; within a process, from memory.
    """
    return _rouge_f(kind, reference, output)


@lru_cache(maxsize=65536)
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

"""Semantic similarity to the reference (sentence-transformers cosine)."""

from __future__ import annotations

from collections.abc import Sequence

from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type
from harness.scoring.embeddings import DEFAULT_EMBEDDING_MODEL, cosine_pairs
from harness.types import Score


class SimilarityConfig(CheckConfig):
    min: float = 0.5
    value: str | None = None  # explicit reference; defaults to the case's `reference`
    model: str = DEFAULT_EMBEDDING_MODEL


@check_type("similarity")
class Similarity(Scorer):
    """Cosine similarity of output and reference embeddings; all items encoded in one batch."""

    Config = SimilarityConfig
    uses_reference = True

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        cfg: SimilarityConfig = self.config  # type: ignore[assignment]
        refs = [cfg.value if cfg.value is not None else it.case.reference for it in items]
        todo = [i for i, ref in enumerate(refs) if ref is not None]
        values = cosine_pairs([items[i].output for i in todo], [refs[i] for i in todo], cfg.model)
        by_index = dict(zip(todo, values))
        scores = []
        for i in range(len(items)):
            if i not in by_index:
                scores.append(self.make(False, "no reference to compare with", error=True))
                continue
            v = by_index[i]
            ok = v >= cfg.min
            scores.append(self.make(ok, f"similarity {v:.3f} {'>=' if ok else '<'} {cfg.min}", v, cfg.min))
        return scores

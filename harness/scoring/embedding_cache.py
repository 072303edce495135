"""Sentence embeddings remembered by (model, sha256 of the text), so known texts need no model;
and ROUGE scores remembered by (variant, sha256 of the pair), so known pairs need no rouge-score
(whose import, through nltk and scipy.stats, takes seconds).

One SQLite file per machine, next to the converted models (``<model cache>/embeddings.db``;
see :func:`harness.generation.backends.bundled.model_cache_dir`): an embedding depends only on
the model and the text, so every project can share it. Vectors are stored as float32 bytes, read
back with numpy alone: a fully cached similarity check or drift measure imports neither torch
nor sentence-transformers.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha256)
);
CREATE TABLE IF NOT EXISTS pair_scores (
    metric TEXT NOT NULL,
    pair_sha256 TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (metric, pair_sha256)
)
"""
_lock = threading.Lock()


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pair_key(left: str, right: str) -> str:
    return hashlib.sha256(f"{len(left)}:{left}\x1f{right}".encode()).hexdigest()


class EmbeddingCache:
    """Unit vectors by (model, text hash); safe to share between processes (SQLite WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=60000")
        self._db.executescript(_SCHEMA)

    def get_many(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Text -> vector for the texts already known."""
        keys = {text_key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        hashes = list(keys)
        with _lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT text_sha256, vector FROM embeddings WHERE model = ? "
                                        f"AND text_sha256 IN ({marks})", [model, *chunk])
                for digest, blob in rows:
                    found[keys[digest]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(model, text_key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)]
        with _lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def pair_score(self, metric: str, left: str, right: str) -> float | None:
        """A remembered score of the ordered pair (``metric``: e.g. ``rougeL``), or None."""
        with _lock:
            row = self._db.execute("SELECT value FROM pair_scores WHERE metric = ? AND pair_sha256 = ?",
                                   (metric, _pair_key(left, right))).fetchone()
        return None if row is None else float(row[0])

    def pair_scores(self, metric: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], float]:
        """The remembered scores of these ordered pairs (those known)."""
        keys = {_pair_key(left, right): (left, right) for left, right in pairs}
        hashes = list(keys)
        found: dict[tuple[str, str], float] = {}
        with _lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                rows = self._db.execute(f"SELECT pair_sha256, value FROM pair_scores WHERE metric = ? "
                                        f"AND pair_sha256 IN ({','.join('?' * len(chunk))})", [metric, *chunk])
                found.update((keys[digest], float(value)) for digest, value in rows)
        return found

    def put_pair_score(self, metric: str, left: str, right: str, value: float) -> None:
        with _lock:
            self._db.execute("INSERT OR REPLACE INTO pair_scores VALUES (?, ?, ?)",
                             (metric, _pair_key(left, right), value))

    def close(self) -> None:
        self._db.close()


def default_cache() -> EmbeddingCache | None:
    """The machine's embedding cache (None when its folder cannot be written)."""
    from harness.generation.backends.bundled import model_cache_dir

    try:
        return EmbeddingCache(model_cache_dir() / "embeddings.db")
    except (OSError, sqlite3.Error):
        return None

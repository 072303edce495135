"""Content-addressed generation cache (SQLite, WAL): safe under concurrent runs and crashes.

Key = sha256 of (model fingerprint, rendered messages and text, params, seed, sample
index). Every generation is committed as soon as its batch returns, so a killed
run loses nothing it finished and a rerun redoes none of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.types import Generation, GenerationRequest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    output TEXT NOT NULL,
    new_tokens INTEGER,
    latency_s REAL,
    meta TEXT,
    created_at REAL NOT NULL
)
"""


def cache_key(fingerprint: dict[str, Any], request: GenerationRequest) -> str:
    body = {
        "fingerprint": fingerprint,
        "messages": request.prompt.as_dicts(),
        "text": request.prompt.text,
        "params": request.params.as_dict(),
        "seed": request.seed,
        "sample": request.sample,
    }
    if request.score_tokens:  # only judge calls ask for token probabilities; other keys are unchanged
        body["score_tokens"] = list(request.score_tokens)
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    bytes: int


class GenerationCache:
    """Thread-unsafe handle; open one per process (SQLite serialises writers)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "generations.db"
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=60000")
        self._db.execute(_SCHEMA)

    def get_many(self, keys: Iterable[str]) -> dict[str, Generation]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, Generation] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, output, new_tokens, latency_s, meta FROM generations WHERE key IN ({marks})", chunk)
            for key, output, new_tokens, latency, meta in rows:
                found[key] = Generation(output=output, new_tokens=new_tokens, latency_s=latency or 0.0,
                                        cached=True, meta=json.loads(meta) if meta else {})
        return found

    def put_many(self, items: Iterable[tuple[str, Generation]]) -> None:
        rows = [(k, g.output, g.new_tokens, g.latency_s, json.dumps(g.meta, default=str), time.time())
                for k, g in items if g.error is None]
        if not rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def stats(self) -> CacheStats:
        (entries,) = self._db.execute("SELECT COUNT(*) FROM generations").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.exists())
        return CacheStats(self.path, entries, size)

    def clear(self) -> int:
        (entries,) = self._db.execute("SELECT COUNT(*) FROM generations").fetchone()
        self._db.execute("DELETE FROM generations")
        self._db.execute("VACUUM")
        return int(entries)

    def close(self) -> None:
        self._db.close()

"""Content hashes of model files, cached by (path, size, mtime) so a second look is instant.

Hashing a 300 MB checkpoint takes about a second; a fully cached run must not pay it
twice, so the sha256 of each file is remembered in ``<harness_dir>/file-hashes.json``
and reused while the file's size and modification time are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

CACHE_NAME = "file-hashes.json"
_CHUNK = 1 << 20


class FileHashCache:
    """sha256 of files, remembered in a JSON file keyed by absolute path."""

    def __init__(self, harness_dir: Path) -> None:
        self.path = Path(harness_dir) / CACHE_NAME
        self._entries: dict[str, dict[str, object]] | None = None
        self._dirty = False

    def sha256(self, file: Path) -> str:
        """The file's sha256, from the cache when its size and mtime are unchanged."""
        file = Path(file).resolve()
        stat = file.stat()
        key = str(file)
        entry = self._load().get(key)
        if entry and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
            return str(entry["sha256"])
        digest = sha256_file(file)
        self._load()[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write new entries atomically (temp file + rename); a failure to write is harmless."""
        if not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            merged = {**_read_json(self.path), **self._load()}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".file-hashes-", suffix=".json")
            with os.fdopen(fd, "w") as out:
                json.dump(merged, out, indent=0, sort_keys=True)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:
            pass  # a read-only cache folder only costs re-hashing next time

    def _load(self) -> dict[str, dict[str, object]]:
        if self._entries is None:
            self._entries = _read_json(self.path)
        return self._entries


def sha256_file(file: Path) -> str:
    """Stream a file through sha256."""
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_json(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

"""Writing reports to files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness.errors import UsageError


def write_text(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a report."""
    try:
        _write_atomically(path, text)
    except OSError as exc:  # a report path the user gave that cannot be written: exit 2, not a traceback
        raise UsageError(f"cannot write report {path}: {exc.strerror or exc}") from None


def _write_atomically(path: Path, text: str) -> None:
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


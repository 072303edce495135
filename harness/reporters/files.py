"""Writing reports to files atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from harness.errors import UsageError


def write_text(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a report.

    The file gets the mode a plain ``open()`` would (0666 less the umask), and a raw NUL
    (from a model output) becomes U+FFFD: no HTML, Markdown or XML reader accepts one."""
    try:
        _write_atomically(path, text.replace("\0", "\ufffd"))
    except OSError as exc:  # a report path the user gave that cannot be written: exit 2, not a traceback
        raise UsageError(f"cannot write report {path}: {exc.strerror or exc}") from None


def write_bytes(path: Path, parts: Iterable[bytes]) -> None:
    """``write_text`` for text already encoded (UTF-8, no raw NUL: JSON escapes it), written part by part
    as ``parts`` makes them: a 200 MB report is never joined, decoded or encoded whole."""
    try:
        _write_atomically(path, parts)
    except OSError as exc:
        raise UsageError(f"cannot write report {path}: {exc.strerror or exc}") from None


def _write_atomically(path: Path, content: str | Iterable[bytes]) -> None:
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    text = isinstance(content, str)
    try:
        with os.fdopen(fd, "w" if text else "wb", encoding="utf-8" if text else None) as fh:
            for part in [content] if text else content:
                fh.write(part)
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it (Linux), else by setting it back at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


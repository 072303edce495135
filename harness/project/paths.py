"""The project's files: finding the root, resolving paths safely, reading data files.

Every path a suite names is resolved inside the project root (no ``..`` escapes,
absolute paths or symlinks out). ``pkg://package/path`` names a file shipped in an
installed Python package. A ``ProjectFiles`` can read the working tree or a git
revision (see ``harness.commands.gitfiles``).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness.errors import ConfigError, SecurityError
from harness.project.csvrows import read_csv_rows
from harness.project.yamlfile import MAX_FILE_BYTES, YamlDoc

CONFIG_NAME = "harness.yaml"
DATA_FORMATS = {".jsonl": "json", ".json": "json", ".gz": "json", ".csv": "csv", ".parquet": "parquet"}


def find_project_root(start: Path | None = None) -> Path:
    """Nearest folder holding harness.yaml, else .git, walking up from ``start`` (default: cwd)."""
    start = (start or Path.cwd()).resolve()
    if start.is_file():
        start = start.parent
    for marker in (CONFIG_NAME, ".git"):
        for folder in [start, *start.parents]:
            if (folder / marker).exists():
                return folder
    return Path.cwd().resolve() if _is_within(start, Path.cwd().resolve()) else start


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class PackageResource:
    package: str
    path: str

    @classmethod
    def parse(cls, ref: str) -> PackageResource:
        body = ref[len("pkg://"):]
        package, _, path = body.partition("/")
        return cls(package, path)

    def locate(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.origin:
            install = self.package.replace("_", "-")
            raise ConfigError(f"package '{self.package}' is not installed (pip install {install})")
        base = Path(spec.origin).parent
        target = (base / self.path).resolve()
        if not _is_within(target, base.resolve()):
            raise SecurityError(f"pkg:// path escapes package '{self.package}'")
        return target


Reader = Callable[[str], bytes]


@dataclass
class ProjectFiles:
    """Reads project files by root-relative POSIX path, from disk or from a git revision."""

    root: Path
    reader: Reader | None = None
    label: str = ""  # e.g. "HEAD~1:" for messages

    @classmethod
    def for_file(cls, path: Path) -> ProjectFiles:
        return cls(find_project_root(path.resolve().parent))

    def relative(self, path: Path) -> str:
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            return absolute.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return absolute.as_posix()

    def read_bytes(self, rel: str) -> bytes:
        if self.reader is not None:
            return self.reader(rel)
        target = Path(rel) if Path(rel).is_absolute() else self.root / rel
        if not target.is_file():
            raise FileNotFoundError(rel)
        return target.read_bytes()

    def read_text(self, rel: str) -> str:
        data = self.read_bytes(rel)
        if len(data) > MAX_FILE_BYTES:
            raise ConfigError(f"file is {len(data)} bytes, over the {MAX_FILE_BYTES} byte limit", file=rel)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"file is not UTF-8: {exc.reason}", file=rel) from None

    def exists(self, rel: str) -> bool:
        try:
            self.read_bytes(rel)
            return True
        except (FileNotFoundError, IsADirectoryError):
            return False

    def resolve(self, ref: str, doc: YamlDoc, loc: tuple[Any, ...]) -> str:
        """A path named in ``doc`` -> root-relative POSIX path; refuses escapes.

        Tried relative to the project root first, then to the naming file's folder.
        """
        if ref.startswith("pkg://"):
            return ref
        pure = PurePosixPath(ref.replace("\\", "/"))
        if pure.is_absolute() or (len(ref) > 1 and ref[1] == ":"):
            raise SecurityError(f"absolute path '{ref}' refused: paths must stay inside the project",
                                file=doc.path, line=doc.line_of(loc), field=_dotted(loc))
        here = PurePosixPath(doc.path).parent
        candidates = [_normalize(pure), _normalize(here / pure)]
        for cand in candidates:
            if cand is None:
                continue
            self._refuse_symlink_escape(cand, doc, loc, ref)
            if self.exists(cand) or (self.reader is None and (self.root / cand).is_dir()):
                return cand
        if all(c is None for c in candidates):
            raise SecurityError(f"path '{ref}' escapes the project root", file=doc.path,
                                line=doc.line_of(loc), field=_dotted(loc))
        return next(c for c in candidates if c is not None)

    def _refuse_symlink_escape(self, rel: str, doc: YamlDoc, loc: tuple[Any, ...], ref: str) -> None:
        if self.reader is not None:
            return
        target = self.root / rel
        if target.exists() and not _is_within(target.resolve(), self.root.resolve()):
            raise SecurityError(f"path '{ref}' leads outside the project root through a symlink",
                                file=doc.path, line=doc.line_of(loc), field=_dotted(loc))

    def read_rows(self, ref: str, fmt: str | None, doc: YamlDoc, loc: tuple[Any, ...],
                  limit: int | None) -> list[dict[str, Any]]:
        """Rows of a JSONL/CSV/Parquet file or a saved ``datasets`` folder."""
        rel = self.resolve(ref, doc, loc)
        local = self._local_path(rel, doc, loc, ref)
        try:
            if not local.is_dir() and (fmt or DATA_FORMATS.get(local.suffix.lower())) == "csv":
                rows: list[dict[str, Any]] = list(read_csv_rows(local, ref))
            else:
                rows = _load_rows(local, fmt, self.root)
        except ConfigError:
            raise
        except Exception as exc:  # datasets raises many kinds
            raise doc.error(f"cannot read cases from '{ref}': {foreign_error(exc)}", loc) from None
        return rows[:limit] if limit is not None else rows

    def read_hub_rows(self, path: str, subset: str | None, split: str | None, doc: YamlDoc,
                      loc: tuple[Any, ...], limit: int | None) -> list[dict[str, Any]]:
        """Rows of an ``hf://`` dataset, from the local datasets cache only."""
        from harness.project.hub import read_hub_rows

        return read_hub_rows(path, subset, split, doc, loc, limit)

    def _local_path(self, rel: str, doc: YamlDoc, loc: tuple[Any, ...], ref: str) -> Path:
        if rel.startswith("pkg://"):
            try:
                path = PackageResource.parse(rel).locate()
            except ConfigError as exc:  # add the suite's file, line and field
                raise type(exc)(exc.bare_message, file=doc.path, line=doc.line_of(loc), field=_dotted(loc)) from None
        elif self.reader is None:
            path = self.root / rel
        else:
            try:
                data = self.reader(rel)
            except FileNotFoundError:
                raise doc.error(f"data file not found: {ref}", loc) from None
            tmp = Path(tempfile.mkdtemp(prefix="harness-rev-")) / PurePosixPath(rel).name
            tmp.write_bytes(data)
            path = tmp
        if not path.exists():
            raise doc.error(f"data file not found: {ref}", loc)
        return path


def foreign_error(exc: Exception) -> str:
    """A data library's error in our words (``Instruction "train" corresponds to no data!``)."""
    text = str(exc)
    if "corresponds to no data" in text or "No data" in text or isinstance(exc, StopIteration):
        return "the file has no rows (is it empty, or in another format than its name says?)"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (invalid byte at position {exc.start + 1})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _normalize(path: PurePosixPath) -> str | None:
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _dotted(loc: tuple[Any, ...]) -> str:
    from harness.project.yamlfile import format_loc

    return format_loc(loc)


def _load_rows(path: Path, fmt: str | None, root: Path) -> list[dict[str, Any]]:
    """Read rows through the ``datasets`` library, caching under .harness/ (never in $HOME)."""
    cache = root / ".harness" / "datasets"
    os.environ.setdefault("HF_DATASETS_CACHE", str(cache))
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    if path.is_dir():
        loaded = datasets.load_from_disk(str(path), keep_in_memory=True)
        if isinstance(loaded, datasets.DatasetDict):
            loaded = loaded[next(iter(loaded))]
        return loaded.to_list()
    kind = fmt or DATA_FORMATS.get(path.suffix.lower())
    if kind in ("jsonl",):
        kind = "json"
    if kind not in ("json", "csv", "parquet"):
        raise ConfigError(f"cannot tell the format of '{path.name}'; set `format: jsonl|csv|parquet`")
    loader = {"json": datasets.Dataset.from_json, "csv": datasets.Dataset.from_csv,
              "parquet": datasets.Dataset.from_parquet}[kind]
    dataset = loader(str(path), cache_dir=str(cache), keep_in_memory=True)
    return dataset.to_list()

"""Git as a read-only source of project files: what changed since a ref, and files at a ref.

Git runs as a subprocess with list arguments (never a shell), never checks out, stashes or
writes the index. Paths are POSIX and relative to the project root (which may be a folder
inside the git work tree).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.errors import ConfigError, UsageError
from harness.project.paths import ProjectFiles

ChangeKind = Literal["added", "modified", "deleted", "renamed"]
DEFAULT_BRANCH_CANDIDATES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")
GIT_TIMEOUT_S = 60


@dataclass(frozen=True)
class Change:
    """One changed file. ``old_path`` is set for renames (``path`` is then the new path)."""

    kind: ChangeKind
    path: str
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches (old and new)."""
        return (self.old_path, self.path) if self.old_path else (self.path,)


class GitError(UsageError):
    """A git command failed (unknown ref, not a repository, ...)."""


def run_git(root: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """Run ``git args`` in ``root`` and return stdout; GitError with git's message on failure."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=root, input=input_bytes,
                              capture_output=True, env=env, timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout


def is_git_repo(root: Path) -> bool:
    """Whether ``root`` lies inside a git work tree."""
    try:
        return run_git(root, "rev-parse", "--is-inside-work-tree").strip() == b"true"
    except (GitError, NotADirectoryError):
        return False


def require_git_repo(root: Path) -> None:
    """UsageError unless ``root`` is inside a git work tree."""
    if not is_git_repo(root):
        raise GitError(f"{root} is not inside a git repository; `harness check` compares against a git ref")


def resolve_ref(root: Path, ref: str) -> str:
    """The commit id that ``ref`` names; UsageError naming the ref when git does not know it."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n"):
        raise GitError(f"invalid git ref '{ref}'")
    try:
        out = run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown git ref '{ref}' (fetch it first, e.g. `git fetch origin {ref}`,"
                       " or give another --base)") from None
    return out.decode().strip()


def merge_base_with_default_branch(root: Path) -> tuple[str, str]:
    """``(branch, commit)``: the merge base of HEAD with the first default branch found.

    Tries origin/HEAD, origin/main, origin/master, main, master, in that order.
    """
    for candidate in DEFAULT_BRANCH_CANDIDATES:
        try:
            resolve_ref(root, candidate)
        except GitError:
            continue
        try:
            base = run_git(root, "merge-base", "HEAD", candidate).decode().strip()
        except GitError:
            continue
        return candidate, base
    tried = ", ".join(DEFAULT_BRANCH_CANDIDATES)
    raise GitError(f"cannot find the default branch to compare against (tried {tried}); pass --base REF")


def changed_files(root: Path, ref: str) -> list[Change]:
    """Files that differ between ``ref`` and the working tree, staged, unstaged and untracked.

    Paths are relative to ``root``; changes outside ``root`` are left out. A file deleted and
    an untracked file with identical content are reported as one rename (a plain ``mv``).
    """
    commit = resolve_ref(root, ref)
    raw = run_git(root, "diff", "--name-status", "-z", "-M", "--relative", "--no-ext-diff",
                  commit, "--")
    changes = _parse_name_status(raw)
    untracked = [p for p in run_git(root, "ls-files", "--others", "--exclude-standard", "-z")
                 .decode("utf-8", "surrogateescape").split("\0") if p]
    changes += [Change("added", p) for p in untracked]
    return _pair_moves(root, commit, changes)


_KINDS: dict[str, ChangeKind] = {"A": "added", "M": "modified", "D": "deleted", "T": "modified",
                                 "R": "renamed", "C": "added"}


def _parse_name_status(raw: bytes) -> list[Change]:
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            changes.append(Change("renamed", new, old) if status == "R" else Change("added", new))
            i += 3
            continue
        kind = _KINDS.get(status)
        if kind is not None:  # U (unmerged) and X are left out
            changes.append(Change(kind, fields[i + 1]))
        i += 2
    return changes


def _pair_moves(root: Path, commit: str, changes: list[Change]) -> list[Change]:
    """Join 'deleted X' + 'added Y' with the same content into 'renamed X -> Y'."""
    deleted = [c.path for c in changes if c.kind == "deleted"]
    added = [c.path for c in changes if c.kind == "added"]
    if not deleted or not added:
        return changes
    old_ids = _blob_ids(root, [f"{commit}:./{p}" for p in deleted], rev_parse=True)
    new_ids = _blob_ids(root, added, rev_parse=False)
    by_id = {blob: path for path, blob in zip(deleted, old_ids) if blob}
    moved: dict[str, str] = {}
    for path, blob in zip(added, new_ids):
        old = by_id.pop(blob, None) if blob else None
        if old is not None:
            moved[path] = old
    gone = set(moved.values())
    out = [c for c in changes if not (c.kind == "deleted" and c.path in gone)]
    return [Change("renamed", c.path, moved[c.path]) if c.kind == "added" and c.path in moved else c
            for c in out]


def _blob_ids(root: Path, names: list[str], rev_parse: bool) -> list[str]:
    try:
        if rev_parse:
            out = run_git(root, "rev-parse", *names)
        else:
            out = run_git(root, "hash-object", "--stdin-paths",
                          input_bytes="".join(n + "\n" for n in names).encode())
    except GitError:
        return ["" for _ in names]
    return out.decode().split()


@dataclass
class _RevisionReader:
    """Reads blobs of one commit, under the project root's prefix in the git tree."""

    root: Path
    commit: str
    prefix: str
    _files: dict[str, str] | None = None
    _blobs: dict[str, bytes] = field(default_factory=dict)

    def _listing(self) -> dict[str, str]:
        if self._files is None:
            raw = run_git(self.root, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--")
            files: dict[str, str] = {}
            for entry in raw.decode("utf-8", "surrogateescape").split("\0"):
                if not entry:
                    continue
                meta, _, path = entry.partition("\t")
                mode = meta.partition(" ")[0]
                files[path] = mode
            self._files = files
        return self._files

    def __call__(self, rel: str) -> bytes:
        full = self.prefix + rel
        listing = self._listing()
        mode = listing.get(full)
        if mode is None:
            if any(p.startswith(full.rstrip("/") + "/") for p in listing):
                raise IsADirectoryError(rel)
            raise FileNotFoundError(rel)
        if mode == "120000":
            raise ConfigError(f"'{rel}' is a symbolic link at {self.commit[:12]}; links are not followed",
                              file=rel)
        if full not in self._blobs:
            self._blobs[full] = run_git(self.root, "cat-file", "blob", f"{self.commit}:{full}")
        return self._blobs[full]

    def paths(self) -> list[str]:
        """Every file of the commit under the project root, root-relative."""
        n = len(self.prefix)
        return [p[n:] for p in self._listing() if p.startswith(self.prefix)]


def revision_files(root: Path, ref: str) -> ProjectFiles:
    """The project's files as they are at ``ref``: reads with git, touches nothing on disk."""
    commit = resolve_ref(root, ref)
    prefix = run_git(root, "rev-parse", "--show-prefix").decode().strip()
    reader = _RevisionReader(root, commit, prefix)
    return ProjectFiles(root=root, reader=reader, label=f"{ref}:")


def read_at_revision(root: Path, ref: str, rel: str) -> bytes:
    """One root-relative file as it is at ``ref``; UsageError naming both when it is absent."""
    try:
        return revision_files(root, ref).read_bytes(rel)
    except (FileNotFoundError, IsADirectoryError):
        raise GitError(f"'{rel}' does not exist at git revision '{ref}'") from None


def revision_paths(files: ProjectFiles) -> list[str]:
    """Every file path of a ``revision_files`` project (root-relative)."""
    if not isinstance(files.reader, _RevisionReader):
        raise TypeError("revision_paths needs ProjectFiles made by revision_files")
    return files.reader.paths()

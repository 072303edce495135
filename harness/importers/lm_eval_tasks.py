"""Finding and reading lm-evaluation-harness task YAML without running any of its code.

``!function module.name`` tags are kept as opaque :class:`FunctionRef` values (never
imported); ``include:`` files are merged under the including file's keys, as lm-eval does;
a name is looked up among the installed ``lm_eval`` package's tasks, groups and tags.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, SecurityError, UsageError
from harness.importers.output import yaml_error

MAX_INCLUDE_DEPTH = 10


@dataclass(frozen=True)
class FunctionRef:
    """A ``!function`` reference, recorded and never imported."""

    target: str


class _TaskLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's when present: the tasks folder has ~14,000 files) that keeps
    ``!function`` as a FunctionRef."""


def _function(loader: yaml.SafeLoader, node: yaml.Node) -> FunctionRef:
    return FunctionRef(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


_TaskLoader.add_constructor("!function", _function)


@dataclass(frozen=True)
class TaskConfig:
    """One task's merged configuration and the file it came from."""

    name: str
    path: Path
    data: dict[str, Any]


def tasks_root() -> Path:
    """The installed lm_eval package's tasks folder."""
    spec = importlib.util.find_spec("lm_eval")
    if spec is None or not spec.origin:
        raise UsageError("lm_eval is not installed (pip install lm_eval) and the task is not a file")
    return Path(spec.origin).parent / "tasks"


def read_task_yaml(path: Path, root: Path) -> dict[str, Any]:
    """One YAML file, with its ``include:`` chain merged in (own keys win)."""
    return _read(path.resolve(), root.resolve(), 0)


def _read(path: Path, root: Path, depth: int) -> dict[str, Any]:
    if depth > MAX_INCLUDE_DEPTH:
        raise ConfigError(f"include chain deeper than {MAX_INCLUDE_DEPTH}", file=str(path))
    if root not in path.parents:
        raise SecurityError(f"'{path}' is outside {root}; includes must stay inside it")
    if not path.is_file():
        raise UsageError(f"file not found: {path}")
    data = dict(_parse(path, path.stat().st_mtime_ns))
    include = data.pop("include", None)
    if include is None:
        return data
    names = include if isinstance(include, list) else [include]
    if not all(isinstance(n, str) for n in names):
        raise ConfigError("`include` must be a file name or a list of them", file=str(path), field="include")
    merged: dict[str, Any] = {}
    for name in names:  # as lm-eval's loader: later includes win over earlier ones, own keys over all
        base = _read((path.parent / name).resolve(), root, depth + 1)
        base.pop("task_list", None)  # a task_list lists the included file's own tasks
        merged.update(base)
    return {**merged, **data}


@lru_cache(maxsize=8192)
def _parse(path: Path, mtime_ns: int) -> dict[str, Any]:
    """One file's mapping, parsed once per version (include bases are shared by many tasks).
    Callers copy it before changing it."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("a task file must be a mapping", file=str(path))
    return data


@lru_cache(maxsize=4)
def task_index(root: Path) -> dict[str, tuple[Path, ...]]:
    """Name -> the YAML files that declare it as a task, group or tag (read as text: fast)."""
    index: dict[str, list[Path]] = {}
    pattern = re.compile(r"^(task|group|tag):\s*(.+?)\s*$|^\s+-\s*(\S+)\s*$", re.MULTILINE)
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        key = None
        for m in pattern.finditer(text):
            if m.group(1):
                key, value = m.group(1), m.group(2).strip("'\"")
                if value:
                    index.setdefault(value, []).append(path)
            elif key == "tag" and m.group(3):
                index.setdefault(m.group(3).strip("'\""), []).append(path)
    return {name: tuple(dict.fromkeys(paths)) for name, paths in index.items()}


def resolve_tasks(name_or_path: str) -> list[TaskConfig]:
    """A task YAML file, or a task/group/tag name in the installed lm_eval, -> task configs."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise UsageError(f"file not found: {name_or_path}")
        root = candidate.resolve().parent
        installed = _installed_root()
        if installed is not None and installed in candidate.resolve().parents:
            root = installed
        return _expand(read_task_yaml(candidate, root), candidate.resolve(), root, set())
    root = tasks_root()
    return _by_name(name_or_path, root, set())


def _installed_root() -> Path | None:
    try:
        return tasks_root().resolve()
    except UsageError:
        return None


def _by_name(name: str, root: Path, seen: set[str]) -> list[TaskConfig]:
    if name in seen:
        return []
    seen.add(name)
    paths = task_index(root.resolve()).get(name)
    if not paths:
        close = [n for n in task_index(root.resolve()) if name.lower() in n.lower()][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown lm-eval task '{name}'{hint}")
    found: list[TaskConfig] = []
    for path in paths:
        data = read_task_yaml(path, root)
        if data.get("task") == name or data.get("group") == name:
            return _expand(data, path, root, seen)
        tags = data.get("tag")
        if name == tags or (isinstance(tags, list) and name in tags):
            found += _expand(data, path, root, seen)
    if not found:
        raise UsageError(f"unknown lm-eval task '{name}'")
    return found


def _expand(data: dict[str, Any], path: Path, root: Path, seen: set[str]) -> list[TaskConfig]:
    """A task file -> itself; a group file -> its member tasks (names or inline configs)."""
    if "group" in data and isinstance(data.get("task"), list):
        out: list[TaskConfig] = []
        for member in data["task"]:
            if isinstance(member, str):
                out += _by_name(member, root, seen)
            elif isinstance(member, dict) and isinstance(member.get("task"), str):
                out += _member(member, path, root, seen)
        return out
    name = data.get("task")
    if not isinstance(name, str):
        raise ConfigError("a task file needs `task: NAME`", file=str(path), field="task")
    return [TaskConfig(name, path, data)]


def _member(member: dict[str, Any], path: Path, root: Path, seen: set[str]) -> list[TaskConfig]:
    """A group entry that overrides a named task's fields (or defines a task inline)."""
    overrides = {k: v for k, v in member.items() if k != "task"}
    try:
        bases = _by_name(member["task"], root, seen)
    except UsageError:
        return [TaskConfig(member["task"], path, member)]
    return [TaskConfig(b.name, b.path, {**b.data, **overrides}) for b in bases]

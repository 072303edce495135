"""Which suites and cases a change touches (the plan of ``harness check``).

Pure apart from reading files through two ``ProjectFiles`` (base revision, head tree):
a suite is affected when its file, its prompt file or one of its data files changed
(at either side); inside an affected suite a case runs when it is new or its rendered
input (main vars and paraphrases), generation params, checks or reference changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from harness.commands.gitfiles import Change, revision_paths
from harness.errors import ConfigError
from harness.project.paths import ProjectFiles
from harness.project.prompts import render
from harness.project.suites import Suite, case_fingerprint, load_suite
from harness.project.yamlfile import load_yaml_text

SUITE_SUFFIXES = (".yaml", ".yml")
CaseReason = Literal["new", "input", "params", "checks", "reference"]
SuiteStatus = Literal["changed", "new", "deleted"]


@dataclass(frozen=True)
class CaseChange:
    """A case that must run, and why."""

    case_id: str
    reasons: tuple[CaseReason, ...]


@dataclass(frozen=True)
class SuitePlan:
    """One affected suite: what runs, what is unchanged, what was removed."""

    status: SuiteStatus
    path: str | None                  # head path (None when deleted)
    base_path: str | None             # base path (None when new)
    suite_id: str
    reasons: tuple[str, ...]          # why the suite was looked at, e.g. "prompt prompts/a.yaml modified"
    head: Suite | None = None
    base: Suite | None = None
    run: tuple[CaseChange, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    note: str = ""

    @property
    def run_ids(self) -> set[str]:
        return {c.case_id for c in self.run}

    @property
    def baseline_ids(self) -> set[str]:
        """Cases that run and exist at the base (the others are candidate-only)."""
        return {c.case_id for c in self.run if "new" not in c.reasons}


@dataclass(frozen=True)
class CheckPlan:
    """Everything ``harness check`` decided before any model is loaded."""

    changes: tuple[Change, ...]
    suites: tuple[SuitePlan, ...]
    unused_prompts: tuple[str, ...] = ()

    @property
    def to_run(self) -> tuple[SuitePlan, ...]:
        return tuple(s for s in self.suites if s.run)

    @property
    def nothing_to_run(self) -> bool:
        return not self.to_run

    def summary(self) -> str:
        """A human summary: what runs, what is unchanged, what was removed."""
        if not self.suites:
            n = len(self.unused_prompts)
            extra = f" ({n} changed prompt(s) used by no suite)" if n else ""
            return f"Nothing relevant changed: no suite, prompt or data file of a suite was touched{extra}."
        lines = [_suite_line(s) for s in self.suites]
        lines += [f"prompt {p}: changed but used by no suite" for p in self.unused_prompts]
        return "\n".join(lines)


def _suite_line(s: SuitePlan) -> str:
    where = s.path or s.base_path
    if s.status == "deleted":
        return f"suite {s.suite_id} ({where}): deleted, nothing to run"
    moved = f", moved from {s.base_path}" if s.base_path and s.path != s.base_path else ""
    head = f"suite {s.suite_id} ({where}{moved}, {s.status})"
    parts = [f"{len(s.run)} case(s) to run", f"{len(s.unchanged)} unchanged"]
    if s.removed:
        parts.append(f"{len(s.removed)} removed ({', '.join(s.removed)})")
    note = f" [{s.note}]" if s.note else ""
    return f"{head}: {', '.join(parts)}{note}"


@dataclass(frozen=True)
class SuiteDeps:
    """The files a suite reads, root-relative; ``prompt`` is None for an inline template."""

    path: str
    prompt: str | None = None
    data: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        return (self.path, *([self.prompt] if self.prompt else []), *self.data)


def plan_check(base: ProjectFiles, head: ProjectFiles, changes: list[Change],
               suites_dirs: Sequence[str] = ("suites",)) -> CheckPlan:
    """Decide the affected suites and, in each, the cases to run.

    Only suites that changed themselves or whose text names a changed file (by its file
    name) are parsed; the others cannot depend on the change.
    """
    changed = {p: c for c in changes for p in c.paths}
    names = {PurePosixPath(p).name for p in changed}
    base_paths = list_suite_paths(base, suites_dirs)
    base_set = set(base_paths)
    base_of = _base_paths(changes, base_set)
    plans: list[SuitePlan] = []
    matched: set[str] = set()
    used: set[str] = set()
    for path in list_suite_paths(head, suites_dirs):
        old = base_of.get(path, path if path in base_set else None)
        if old:
            matched.add(old)
        if path not in changed and not _mentions(head, path, names):
            continue
        deps = [suite_deps(head, path)] + ([suite_deps(base, old)] if old else [])
        used |= {d.prompt for d in deps if d.prompt}
        reasons = _reasons(deps, changed)
        if reasons:
            _refuse_moved_prompt(head, deps[0], changes)
            plans.append(_plan_suite(base, head, old, path, reasons))
    for old in base_paths:
        if old not in matched and old in changed:
            used |= {suite_deps(base, old).prompt or ""}
            plans.append(_deleted_plan(base, old))
    unused = tuple(sorted({p for p in changed if _is_prompt(p) and p not in used}))
    return CheckPlan(changes=tuple(changes), suites=tuple(plans), unused_prompts=unused)


def _mentions(files: ProjectFiles, path: str, names: set[str]) -> bool:
    """Whether a suite's text names any of the changed files (cheap pre-filter)."""
    try:
        text = files.read_text(path)
    except (ConfigError, OSError):
        return True
    return any(name in text for name in names)


def list_suite_paths(files: ProjectFiles, suites_dirs: Sequence[str] = ("suites",)) -> list[str]:
    """Root-relative paths of the suite files in ``suites_dirs`` (folders or files; disk or revision)."""
    if files.reader is None:
        candidates = [p.relative_to(files.root).as_posix() for d in suites_dirs
                      for p in _disk_files(files.root / d)]
    else:
        candidates = revision_paths(files)
    prefixes = [d.strip("/") for d in suites_dirs]
    return sorted({p for p in candidates if PurePosixPath(p).suffix in SUITE_SUFFIXES
                   and any(p == d or p.startswith(d + "/") for d in prefixes)})


def _disk_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []


def suite_deps(files: ProjectFiles, path: str) -> SuiteDeps:
    """The prompt and data files a suite names (cheap: YAML only; best effort on broken files)."""
    try:
        doc = load_yaml_text(files.read_text(path), path)
    except (ConfigError, FileNotFoundError):
        return SuiteDeps(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    prompt = data.get("prompt")
    prompt_path = files.resolve(prompt, doc, ("prompt",)) if isinstance(prompt, str) else None
    sources = data.get("cases_from")
    sources = sources if isinstance(sources, list) else [sources] if sources else []
    data_paths = []
    for n, source in enumerate(sources):
        ref = source.get("path") if isinstance(source, dict) else None
        if isinstance(ref, str) and not ref.startswith("pkg://"):
            data_paths.append(files.resolve(ref, doc, ("cases_from", n, "path")))
    return SuiteDeps(path, prompt_path, tuple(data_paths))


def _base_paths(changes: list[Change], base_suites: set[str]) -> dict[str, str]:
    """Head path -> base path for renamed suites."""
    return {c.path: c.old_path for c in changes
            if c.kind == "renamed" and c.old_path in base_suites}


def _reasons(deps: list[SuiteDeps], changed: dict[str, Change]) -> tuple[str, ...]:
    reasons: list[str] = []
    for d in deps:
        for p in d.files:
            change = changed.get(p)
            if change is None:
                continue
            role = "suite file" if p == d.path else "prompt" if p == d.prompt else "data file"
            text = f"{role} {p} {change.kind}"
            if change.kind == "renamed":
                text = f"{role} {change.old_path} renamed to {change.path}"
            if text not in reasons:
                reasons.append(text)
    return tuple(reasons)


def _refuse_moved_prompt(head: ProjectFiles, deps: SuiteDeps, changes: list[Change]) -> None:
    """A suite that still names a prompt the change moved or deleted: say where it went."""
    prompt, path = deps.prompt, deps.path
    if not prompt or head.exists(prompt):
        return
    for c in changes:
        if c.kind == "renamed" and c.old_path == prompt:
            raise ConfigError(f"prompt file not found: {prompt} (this change renamed it to {c.path};"
                              " update `prompt:`)", file=path, field="prompt")
        if c.kind == "deleted" and c.path == prompt:
            raise ConfigError(f"prompt file not found: {prompt} (this change deleted it)",
                              file=path, field="prompt")


def _plan_suite(base: ProjectFiles, head: ProjectFiles, old: str | None, path: str,
                reasons: tuple[str, ...]) -> SuitePlan:
    new_suite = load_suite(head.root / path, head)
    old_suite, note = None, ""
    if old is not None:
        try:
            old_suite = load_suite(base.root / old, base)
        except ConfigError as exc:
            note = f"the base version does not load ({exc}); all cases run as new"
    if old_suite is None:
        run = tuple(CaseChange(c.id, ("new",)) for c in new_suite.cases)
        return SuitePlan("new", path, old, new_suite.id, reasons, head=new_suite, run=run, note=note)
    run, unchanged, removed = diff_cases(old_suite, new_suite)
    return SuitePlan("changed", path, old, new_suite.id, reasons, head=new_suite, base=old_suite,
                     run=run, unchanged=unchanged, removed=removed)


def _deleted_plan(base: ProjectFiles, old: str) -> SuitePlan:
    try:
        suite = load_suite(base.root / old, base)
        suite_id, cases = suite.id, tuple(c.id for c in suite.cases)
    except ConfigError:
        suite, suite_id, cases = None, PurePosixPath(old).stem, ()
    return SuitePlan("deleted", None, old, suite_id, (f"suite file {old} deleted",), base=suite,
                     removed=cases)


def diff_cases(base: Suite, head: Suite) -> tuple[tuple[CaseChange, ...], tuple[str, ...], tuple[str, ...]]:
    """``(to run, unchanged ids, removed ids)`` between two versions of a suite."""
    old = {c.id: case_signature(base, c.id) for c in base.cases}
    run: list[CaseChange] = []
    unchanged: list[str] = []
    for case in head.cases:
        if case.id not in old:
            run.append(CaseChange(case.id, ("new",)))
            continue
        now = case_signature(head, case.id)
        reasons = tuple(k for k in ("input", "params", "checks", "reference") if now[k] != old[case.id][k])
        if reasons:
            run.append(CaseChange(case.id, reasons))  # type: ignore[arg-type]
        else:
            unchanged.append(case.id)
    head_ids = {c.id for c in head.cases}
    removed = tuple(c.id for c in base.cases if c.id not in head_ids)
    return tuple(run), tuple(unchanged), removed


def case_signature(suite: Suite, case_id: str) -> dict[str, Any]:
    """What a model sees and what a case is judged by: rendered messages, params, checks, reference."""
    case = suite.case(case_id)
    fp = case_fingerprint(case)
    variants = [case.vars, *case.paraphrases]
    rendered = [render(suite.prompt, v, case.id).as_dicts() for v in variants]
    params = {**suite.prompt.params, **suite.params, **case.params}
    return {"input": rendered, "params": params, "checks": fp["checks"], "reference": fp["reference"]}


def _is_prompt(path: str) -> bool:
    return path.startswith("prompts/") and Path(path).suffix in SUITE_SUFFIXES

"""``harness gate --watch DIR``: gate each new checkpoint folder of a training run, in order.

A checkpoint is ready when it holds a marker file (``harness.ready`` or ``COMPLETE``), or when
its files' total size, count and newest modification time have not changed for ``--settle`` seconds. Judged
folders are recorded in the history database (``gated_checkpoints``), so a restarted watch
never gates a checkpoint twice. Folders are taken in natural order (``ckpt-2`` before ``ckpt-10``);
a folder that is not ready yet holds back the ones after it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands.shared import ReportPaths
from harness.errors import EXIT_INFRA, EXIT_OK, UsageError

if TYPE_CHECKING:
    from harness.commands.gate import GateOptions

MARKERS = ("harness.ready", "COMPLETE")


@dataclass(frozen=True)
class WatchOptions:
    """How to watch: the folder, the spec of a checkpoint, readiness window, polling, once."""

    folder: Path
    spec_template: str = "auto"
    settle_s: float = 10.0
    poll_s: float = 10.0
    once: bool = False


def natural_key(name: str) -> list[object]:
    """``ckpt-2`` sorts before ``ckpt-10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def checkpoints(folder: Path) -> list[Path]:
    """The checkpoint folders (sub-folders not starting with ``.``), in natural order."""
    if not folder.is_dir():
        raise UsageError(f"--watch: {folder} is not a folder")
    found = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda p: natural_key(p.name))


def _snapshot(folder: Path) -> tuple[int, float, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    stats = [p.stat() for p in files]
    return (sum(s.st_size for s in stats), max((s.st_mtime for s in stats), default=0.0), len(files))


def is_ready(folder: Path, settle_s: float) -> bool:
    """A marker file, or files whose size, count and newest mtime stay put and are ``settle_s`` old.

    Never sleeps for the window: a checkpoint still settling is simply not ready on this scan.
    """
    if any((folder / marker).is_file() for marker in MARKERS):
        return True
    before = _snapshot(folder)
    if before[2] == 0 or time.time() - before[1] < settle_s:
        return False
    time.sleep(min(1.0, settle_s))
    return _snapshot(folder) == before


def checkpoint_spec(folder: Path, template: str) -> str:
    """The model spec of a checkpoint: ``template`` with ``{path}``, or ``auto``: ``hf:{path}`` for a
    folder with ``config.json``, ``replay:{path}/outputs.jsonl`` for recorded outputs."""
    path = str(folder.resolve())
    if template != "auto":
        return template.replace("{path}", path)
    if (folder / "config.json").is_file():
        return f"hf:{path}"
    if (folder / "outputs.jsonl").is_file():
        return f"replay:{path}/outputs.jsonl"
    raise UsageError(f"checkpoint {folder} has neither config.json nor outputs.jsonl; "
                     "give --spec-template, e.g. hf:{path}")


def watch_command(options: GateOptions, watch: WatchOptions, outputs: ReportPaths) -> int:
    """Gate new checkpoints until interrupted (or once, with ``--once``)."""
    from harness.project.config import load_project_config
    from harness.store import Store

    if watch.spec_template != "auto" and "{path}" not in watch.spec_template:
        raise UsageError("--spec-template must contain {path}, e.g. hf:{path}")
    project = load_project_config()
    with Store(options.db or project.database) as store:
        from harness.store.aliases import Aliases

        Aliases(store).require(options.alias)  # exit 2 before any waiting
        while True:
            code = watch_pass(options, watch, project, store, outputs)
            if watch.once or code == EXIT_INFRA:
                return code
            time.sleep(watch.poll_s)


def watch_pass(options: GateOptions, watch: WatchOptions, project: object, store: object,
               outputs: ReportPaths) -> int:
    """Gate every ready, not yet gated checkpoint in order; stop at the first one not ready."""
    from harness.commands.gate import gate_candidate
    from harness.reporters.terminal import print_message
    from harness.store.aliases import Aliases

    aliases = Aliases(store)  # type: ignore[arg-type]
    done = aliases.gated(options.alias.lstrip("@"))
    for folder in checkpoints(watch.folder):
        key = str(folder.resolve())
        if key in done:
            continue
        if not is_ready(folder, watch.settle_s):
            print_message(f"waiting for {folder} to be complete (no marker, still changing)", style="yellow")
            return EXIT_OK
        print_message(f"gating checkpoint {folder}")
        spec = checkpoint_spec(folder, watch.spec_template)
        decision = gate_candidate(spec, options, project, store, outputs)  # type: ignore[arg-type]
        if decision.outcome == "incomplete":
            return EXIT_INFRA  # not marked: the next start tries again
        if decision.outcome == "lost":
            return watch_pass(options, watch, project, store, outputs)  # re-gate against the new champion
        aliases.mark_gated(options.alias.lstrip("@"), key, decision.outcome, decision.comparison_id)
    return EXIT_OK

"""An outer limit for tests that run hostile programs.

``outer_pids_guard`` moves this test process into a pids cgroup of its own (at most
``GUARD_PIDS`` tasks) for the duration of a module. Sandboxes create their cgroups
under the current one, so even if the sandbox's own limits failed, a fork bomb could
not exhaust the machine's process table (other work shares this machine).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scoring.sandbox import own_pids_cgroup

GUARD_PIDS = 256


@pytest.fixture(scope="module")
def outer_pids_guard() -> Iterator[Path | None]:
    base = own_pids_cgroup()
    if os.geteuid() != 0 or base is None:
        yield None
        return
    guard = base / f"harness-test-guard-{os.getpid()}"
    guard.mkdir(exist_ok=True)
    (guard / "pids.max").write_text(str(GUARD_PIDS))
    (guard / "cgroup.procs").write_text(str(os.getpid()))
    try:
        yield guard
    finally:
        (base / "cgroup.procs").write_text(str(os.getpid()))
        for pid in (guard / "cgroup.procs").read_text().split():
            os.kill(int(pid), signal.SIGKILL)
        _rmdir_tree(guard)


def _rmdir_tree(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir():
            _rmdir_tree(child)
    folder.rmdir()

"""Process, uid and cgroup bookkeeping for ``harness.scoring.sandbox``.

Standard library only, like ``sandbox.py`` (tests load both by path under a bare python).
Allocates a private uid and a pids cgroup per run, finds every process a program started
(by cgroup, uid or session) and kills them, and releases the run's resources.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import stat
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

UID_RANGE = (1_500_000_000, 2_000_000_000)


@dataclass
class RunResources:
    """Per-run resources: folders, files, uid and cgroup; all released by ``cleanup``."""

    private: Path
    workdir: Path
    uid: int | None = None
    uid_lock: int | None = None
    cgroup: Path | None = None
    fds: dict[str, int] = field(default_factory=dict)


def allocate_uid() -> tuple[int, int]:
    """A uid no other sandbox on this machine holds (an flock per uid), with its lock fd."""
    folder = Path(tempfile.gettempdir()) / "harness-sandbox-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    for _ in range(100):
        uid = random.randrange(*UID_RANGE)
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    raise OSError("no free sandbox uid")


def own_pids_cgroup() -> Path | None:
    """This process's own pids cgroup folder (v1 controller, or v2 with pids enabled)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for mount in mounts:
            fields = mount.split()
            sep = fields.index("-")
            fstype, options = fields[sep + 1], fields[sep + 3].split(",")
            v1 = fstype == "cgroup" and "pids" in controllers.split(",") and "pids" in options
            v2 = fstype == "cgroup2" and controllers == ""
            if v1 or v2:
                base = Path(fields[4]) / path.lstrip("/")
                if v1 or "pids" in read_text(base / "cgroup.subtree_control").split():
                    return base
    return None


def make_cgroup(max_processes: int) -> Path | None:
    base = own_pids_cgroup()
    if base is None:
        return None
    folder = base / f"harness-sbx-{os.getpid()}-{random.randrange(1 << 32):08x}"
    try:
        folder.mkdir()
    except OSError:
        return None
    try:
        (folder / "pids.max").write_text(str(max_processes))
    except OSError:
        with suppress(OSError):
            folder.rmdir()
        return None
    return folder


def read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def kill_program(run: RunResources, supervisor: int) -> None:
    """SIGKILL the program and its descendants but not the supervisor, which then reaps them."""
    if run.cgroup is not None:
        _kill_until_empty(lambda: [p for p in _cgroup_pids(run.cgroup) if p != supervisor])
    if run.uid is not None and not _joined_cgroup(run):
        _kill_until_empty(lambda: uid_pids(run.uid))
    if run.cgroup is None and run.uid is None:
        _kill_until_empty(lambda: [p for p in _session_pids(supervisor) if p != supervisor])


def kill_everything(run: RunResources, pid: int) -> None:
    """SIGKILL the process group, then everything left in the cgroup or running as the uid."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if run.cgroup is not None:
        _kill_until_empty(lambda: _cgroup_pids(run.cgroup))
    if run.uid is not None and not _joined_cgroup(run):
        _kill_until_empty(lambda: uid_pids(run.uid))


def _joined_cgroup(run: RunResources) -> bool:
    """Whether the program ran in our cgroup (then the cgroup lists all its processes)."""
    if run.cgroup is None:
        return False
    first = os.pread(run.fds["result"], 65536, 0).split(b"\n", 1)[0]
    try:
        return "pids-cgroup" in json.loads(first).get("isolation", [])
    except (ValueError, AttributeError):
        return False


def _kill_until_empty(list_pids, rounds: int = 200) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        pids = list_pids()
        if not pids:
            return
        for pid in pids:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _cgroup_pids(cgroup: Path | None) -> list[int]:
    text = read_text(cgroup / "cgroup.procs") if cgroup else ""
    return [int(p) for p in text.split()]


def _session_pids(session: int) -> list[int]:
    """Live processes of a session (the supervisor's; its orphans come back to it anyway)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = read_text(Path(entry.path) / "stat").rpartition(")")[2].split()
            if len(fields) > 3 and fields[3] == str(session) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def uid_pids(uid: int | None) -> list[int]:
    """Processes whose real uid is ``uid`` (a zombie counts until its parent reaps it)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        status = read_text(Path(entry.path) / "status")
        for line in status.splitlines():
            if line.startswith("Uid:"):
                if int(line.split()[1]) == uid and "State:\tZ" not in status:
                    found.append(int(entry.name))
                break
    return found


def release(run: RunResources) -> None:
    for fd in run.fds.values():
        with suppress(OSError):
            os.close(fd)
    if run.cgroup is not None:
        _kill_until_empty(lambda: _cgroup_pids(run.cgroup))
        for _ in range(100):
            try:
                run.cgroup.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)
    shutil.rmtree(run.private, onerror=_force_remove)
    if run.uid_lock is not None:
        with suppress(OSError):
            os.unlink(Path(tempfile.gettempdir()) / "harness-sandbox-uids" / str(run.uid))
        os.close(run.uid_lock)


def _force_remove(func, path: str, _exc) -> None:  # type: ignore[no-untyped-def]
    """rmtree fallback for folders the program made unreadable."""
    with suppress(OSError):
        os.chmod(os.path.dirname(path), stat.S_IRWXU)
        os.chmod(path, stat.S_IRWXU)
    with suppress(OSError):
        (shutil.rmtree if os.path.isdir(path) and not os.path.islink(path) else os.unlink)(path)

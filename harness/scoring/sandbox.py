"""Run untrusted Python in a separate, limited process: ``run_code(source, limits)``.

The program runs as ``harness/scoring/sandbox_child.py`` in a new session and process group
with limits on CPU time, address space, file size, processes and open files, in a
fresh working directory that is removed afterwards, with a scrubbed environment and
``HOME``, without network where the OS allows a network namespace, and, when the
harness runs as root, as a fresh unprivileged uid inside a pids cgroup and a private
mount namespace. When the program ends or its time is up, every process it started
is killed with SIGKILL (process group, cgroup and uid). See docs/code-checks.md.

Standard library only (tests load it under a bare system Python as a normal user).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import select
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Verdict = Literal["pass", "fail", "timeout", "memory", "sandbox-error"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "timeout", "memory", "sandbox-error")
CHILD_SCRIPT = str(Path(__file__).with_name("sandbox_child.py"))
UID_RANGE = (1_500_000_000, 2_000_000_000)
TAIL_BYTES = 4096
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"
GRACE_S = 1.5  # for the supervisor to reap what it started after a kill


_ALLOWED: ContextVar[bool] = ContextVar("harness_code_execution_allowed", default=False)


@contextmanager
def code_execution_allowed(allowed: bool = True) -> Iterator[None]:
    """Within this block (and contexts copied from it), code-tests checks may run model output.

    The pipeline enters it when the suite (``allow_code: true``) or the command line
    (``--allow-code``) allows code execution; scorers refuse outside it.
    """
    token = _ALLOWED.set(allowed)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def is_code_execution_allowed() -> bool:
    return _ALLOWED.get()


@dataclass(frozen=True)
class Limits:
    """What one sandboxed program may use. ``wall_seconds`` defaults to 2 x CPU + 5 s."""

    cpu_seconds: float = 5.0
    wall_seconds: float | None = None
    memory_mb: int = 1024
    file_size_mb: int = 16
    max_processes: int = 32
    max_open_files: int = 64

    @property
    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 2 * self.cpu_seconds + 5


@dataclass(frozen=True)
class SandboxResult:
    """The verdict on one program; only ``pass`` passes."""

    verdict: Verdict
    details: str
    network_isolated: bool = False
    isolation: tuple[str, ...] = ()
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    exit_status: int | None = None
    signal: str | None = None
    stdout: str = ""
    stderr: str = ""
    process_group: int | None = None   # the program's process group (gone when this returns)
    uid: int | None = None             # the unprivileged uid it ran as (root only)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


@dataclass
class _Run:
    """Per-run resources: folders, files, uid and cgroup; all released by ``cleanup``."""

    private: Path
    workdir: Path
    uid: int | None = None
    uid_lock: int | None = None
    cgroup: Path | None = None
    fds: dict[str, int] = field(default_factory=dict)


def run_code(source: str, limits: Limits = Limits()) -> SandboxResult:
    """Run ``source`` as a Python program in the sandbox and classify how it ended."""
    started = time.monotonic()
    try:
        with _prepared(source, limits) as run:
            pid = _spawn(run, limits)
            try:
                timed_out = _supervise(pid, run, limits)
            finally:  # also when interrupted: nothing outlives the call
                _kill_everything(run, pid)
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            result = _with(_classify(run, limits, timed_out), process_group=pid)
    except OSError as exc:
        return SandboxResult("sandbox-error", f"could not start the sandbox: {exc}",
                             wall_seconds=time.monotonic() - started)
    return _with(result, wall_seconds=time.monotonic() - started)


# --------------------------------------------------------------------------- set-up


@contextmanager
def _prepared(source: str, limits: Limits) -> Iterator[_Run]:
    private = Path(tempfile.mkdtemp(prefix="harness-sbx-"))
    run = _Run(private=private, workdir=private / "work")
    try:
        os.chmod(private, 0o711)
        (private / "stage").mkdir(mode=0o700)
        run.workdir.mkdir(mode=0o700)
        (run.workdir / "solution.py").write_text(source, encoding="utf-8")
        if os.geteuid() == 0:
            run.uid, run.uid_lock = _allocate_uid()
            for path in (run.workdir, run.workdir / "solution.py"):
                os.chown(path, run.uid, run.uid)
            run.cgroup = _make_cgroup(limits.max_processes + 1)  # + the supervisor
        for name in ("stdout", "stderr", "result"):
            run.fds[name] = os.open(private / name, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        yield run
    finally:
        _cleanup(run)


def _allocate_uid() -> tuple[int, int]:
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
                if v1 or "pids" in _read(base / "cgroup.subtree_control").split():
                    return base
    return None


def _make_cgroup(max_processes: int) -> Path | None:
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


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


# --------------------------------------------------------------------------- running


def _child_config(run: _Run, limits: Limits) -> dict[str, object]:
    return {
        "workdir": str(run.workdir), "stage": str(run.private / "stage"),
        "uid": run.uid, "gid": run.uid,
        "cgroup_procs": str(run.cgroup / "cgroup.procs") if run.cgroup else None,
        "cpu_seconds": limits.cpu_seconds,
        "memory_bytes": limits.memory_mb << 20,
        "file_size_bytes": limits.file_size_mb << 20,
        "max_open_files": limits.max_open_files,
        "max_processes": _nproc_limit(run, limits),
    }


def _nproc_limit(run: _Run, limits: Limits) -> int:
    """RLIMIT_NPROC counts all threads of the real uid: as our own uid, add what already runs."""
    if run.uid is not None:
        return limits.max_processes
    tasks = 0
    for pid in _uid_pids(os.getuid()):
        with suppress(OSError):
            tasks += len(os.listdir(f"/proc/{pid}/task"))
    return limits.max_processes + tasks


def _spawn(run: _Run, limits: Limits) -> int:
    env = {"PATH": CLEAN_PATH, "HOME": str(run.workdir), "TMPDIR": str(run.workdir),
           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    argv = [sys.executable, "-I", "-S", CHILD_SCRIPT, json.dumps(_child_config(run, limits))]
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, run.fds["stdout"], 1),
               (os.POSIX_SPAWN_DUP2, run.fds["stderr"], 2),
               (os.POSIX_SPAWN_DUP2, run.fds["result"], 3)]
    resettable = {s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)}
    return os.posix_spawn(sys.executable, argv, env, file_actions=actions, setsid=True,
                          setsigmask=(), setsigdef=resettable)


def _supervise(pid: int, run: _Run, limits: Limits) -> bool:
    """Wait for the supervisor process; at the wall-clock backstop kill the program. -> timed out."""
    if _wait(pid, limits.wall):
        return False
    _kill_program(run, pid)
    if not _wait(pid, GRACE_S):
        _kill_everything(run, pid)
        os.waitpid(pid, 0)
    return True


def _wait(pid: int, seconds: float) -> bool:
    """Reap ``pid`` if it ends within ``seconds`` (woken by a pidfd where the kernel has them)."""
    end = time.monotonic() + seconds
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        pause = 0.002
        while not os.waitpid(pid, os.WNOHANG)[0]:
            left = end - time.monotonic()
            if left <= 0:
                return False
            if fd is not None:
                select.select([fd], [], [], left)
            else:
                time.sleep(min(pause, left))
                pause = min(pause * 1.5, 0.05)
        return True
    finally:
        if fd is not None:
            os.close(fd)


def _kill_program(run: _Run, supervisor: int) -> None:
    """SIGKILL the program and its descendants but not the supervisor, which then reaps them."""
    if run.cgroup is not None:
        _kill_until_empty(lambda: [p for p in _cgroup_pids(run.cgroup) if p != supervisor])
    if run.uid is not None and not _joined_cgroup(run):
        _kill_until_empty(lambda: _uid_pids(run.uid))
    if run.cgroup is None and run.uid is None:
        _kill_until_empty(lambda: [p for p in _session_pids(supervisor) if p != supervisor])


def _kill_everything(run: _Run, pid: int) -> None:
    """SIGKILL the process group, then everything left in the cgroup or running as the uid."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if run.cgroup is not None:
        _kill_until_empty(lambda: _cgroup_pids(run.cgroup))
    if run.uid is not None and not _joined_cgroup(run):
        _kill_until_empty(lambda: _uid_pids(run.uid))


def _joined_cgroup(run: _Run) -> bool:
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
    text = _read(cgroup / "cgroup.procs") if cgroup else ""
    return [int(p) for p in text.split()]


def _session_pids(session: int) -> list[int]:
    """Live processes of a session (the supervisor's; its orphans come back to it anyway)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _read(Path(entry.path) / "stat").rpartition(")")[2].split()
            if len(fields) > 3 and fields[3] == str(session) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _uid_pids(uid: int | None) -> list[int]:
    """Processes whose real uid is ``uid`` (a zombie counts until its parent reaps it)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        status = _read(Path(entry.path) / "status")
        for line in status.splitlines():
            if line.startswith("Uid:"):
                if int(line.split()[1]) == uid and "State:\tZ" not in status:
                    found.append(int(entry.name))
                break
    return found


# --------------------------------------------------------------------------- verdicts


def _classify(run: _Run, limits: Limits, timed_out: bool) -> SandboxResult:
    records = _records(run.fds["result"])
    ready = next((r for r in records if "ready" in r), {})
    ended = next((r for r in records if "ended" in r), {})
    isolation = tuple(ready.get("isolation", ()))
    signum = ended.get("signal")
    base = SandboxResult(
        verdict="fail", details="", network_isolated="netns" in isolation, isolation=isolation,
        cpu_seconds=round(float(ended.get("cpu", 0.0)), 3), exit_status=ended.get("exit"),
        signal=signal.Signals(signum).name if signum else None,
        stdout=_tail(run.fds["stdout"]), stderr=_tail(run.fds["stderr"]), uid=run.uid)
    verdict, details = _verdict(ready, next((r for r in records if "verdict" in r), None),
                                bool(ended), base, limits, timed_out)
    return _with(base, verdict=verdict, details=details)


def _verdict(ready: dict, outcome: dict | None, ended: bool, base: SandboxResult, limits: Limits,
             timed_out: bool) -> tuple[Verdict, str]:
    cpu_out = base.signal == "SIGXCPU" or (base.signal == "SIGKILL" and base.cpu_seconds >= limits.cpu_seconds)
    if cpu_out:
        return "timeout", f"used its {limits.cpu_seconds:g} s of CPU time"
    if timed_out:
        return "timeout", f"still running after the {limits.wall:g} s wall-clock backstop"
    if not ready.get("ready"):
        return "sandbox-error", ready.get("error") or f"the sandbox did not start: {base.stderr[-500:]}"
    if not ended:
        return "sandbox-error", "the sandbox supervisor ended without a report"
    if outcome is None:
        return "fail", f"the program ended before its tests finished ({_ending(base)})"
    verdict, details = outcome.get("verdict"), str(outcome.get("details", ""))
    if verdict not in VERDICTS:
        return "sandbox-error", f"unreadable result {outcome!r}"
    if verdict == "pass" and base.exit_status != 0:
        return "fail", f"tests passed but the program ended badly ({_ending(base)})"
    return verdict, details


def _ending(result: SandboxResult) -> str:
    return f"killed by {result.signal}" if result.signal else f"exit status {result.exit_status}"


def _records(fd: int) -> list[dict]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 1 << 20).decode("utf-8", "replace")
    records = []
    for line in raw.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            break
        if isinstance(value, dict):
            records.append(value)
    return records


def _tail(fd: int) -> str:
    size = os.fstat(fd).st_size
    os.lseek(fd, max(0, size - TAIL_BYTES), os.SEEK_SET)
    return os.read(fd, TAIL_BYTES).decode("utf-8", "replace")


def _with(result: SandboxResult, **changes: object) -> SandboxResult:
    return SandboxResult(**{**result.__dict__, **changes})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- clean-up


def _cleanup(run: _Run) -> None:
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


__all__ = [
    "VERDICTS",
    "Limits",
    "SandboxResult",
    "Verdict",
    "code_execution_allowed",
    "is_code_execution_allowed",
    "own_pids_cgroup",
    "run_code",
]

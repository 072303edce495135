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

import json
import os
import select
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.scoring.sandbox_processes import (
    RunResources,
    allocate_uid,
    kill_everything,
    kill_program,
    make_cgroup,
    own_pids_cgroup,
    release,
    uid_pids,
)

# How a sandboxed program ended (not the gate verdict, ``harness.types``).
CodeVerdict = Literal["pass", "fail", "timeout", "memory", "sandbox-error"]
CODE_VERDICTS: tuple[CodeVerdict, ...] = ("pass", "fail", "timeout", "memory", "sandbox-error")
CHILD_SCRIPT = str(Path(__file__).with_name("sandbox_child.py"))
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

    verdict: CodeVerdict
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


def run_code(source: str, limits: Limits = Limits()) -> SandboxResult:
    """Run ``source`` as a Python program in the sandbox and classify how it ended."""
    started = time.monotonic()
    try:
        with _prepared(source, limits) as run:
            pid = _spawn(run, limits)
            try:
                timed_out = _supervise(pid, run, limits)
            finally:  # also when interrupted: nothing outlives the call
                kill_everything(run, pid)
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            result = _with(_classify(run, limits, timed_out), process_group=pid)
    except OSError as exc:
        return SandboxResult("sandbox-error", f"could not start the sandbox: {exc}",
                             wall_seconds=time.monotonic() - started)
    return _with(result, wall_seconds=time.monotonic() - started)


# --------------------------------------------------------------------------- set-up


@contextmanager
def _prepared(source: str, limits: Limits) -> Iterator[RunResources]:
    private = Path(tempfile.mkdtemp(prefix="harness-sbx-"))
    run = RunResources(private=private, workdir=private / "work")
    try:
        os.chmod(private, 0o711)
        (private / "stage").mkdir(mode=0o700)
        run.workdir.mkdir(mode=0o700)
        (run.workdir / "solution.py").write_text(source, encoding="utf-8")
        if os.geteuid() == 0:
            run.uid, run.uid_lock = allocate_uid()
            for path in (run.workdir, run.workdir / "solution.py"):
                os.chown(path, run.uid, run.uid)
            run.cgroup = make_cgroup(limits.max_processes + 1)  # + the supervisor
        for name in ("stdout", "stderr", "result"):
            run.fds[name] = os.open(private / name, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        yield run
    finally:
        release(run)


# --------------------------------------------------------------------------- running


def _child_config(run: RunResources, limits: Limits) -> dict[str, object]:
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


def _nproc_limit(run: RunResources, limits: Limits) -> int:
    """RLIMIT_NPROC counts all threads of the real uid: as our own uid, add what already runs."""
    if run.uid is not None:
        return limits.max_processes
    tasks = 0
    for pid in uid_pids(os.getuid()):
        with suppress(OSError):
            tasks += len(os.listdir(f"/proc/{pid}/task"))
    return limits.max_processes + tasks


def _spawn(run: RunResources, limits: Limits) -> int:
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


def _supervise(pid: int, run: RunResources, limits: Limits) -> bool:
    """Wait for the supervisor process; at the wall-clock backstop kill the program. -> timed out."""
    if _wait(pid, limits.wall):
        return False
    kill_program(run, pid)
    if not _wait(pid, GRACE_S):
        kill_everything(run, pid)
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


# --------------------------------------------------------------------------- verdicts


def _classify(run: RunResources, limits: Limits, timed_out: bool) -> SandboxResult:
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
             timed_out: bool) -> tuple[CodeVerdict, str]:
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
    if verdict not in CODE_VERDICTS:
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


__all__ = [
    "CODE_VERDICTS",
    "CodeVerdict",
    "Limits",
    "SandboxResult",
    "code_execution_allowed",
    "is_code_execution_allowed",
    "own_pids_cgroup",
    "run_code",
]

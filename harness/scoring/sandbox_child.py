"""The sandboxed side of ``harness.scoring.sandbox``: isolates itself, then runs ``solution.py``.

Started by ``harness.scoring.sandbox`` as ``python -I -S sandbox_child.py CONFIG_JSON`` in a new
session, with stdin on /dev/null, stdout/stderr on size-limited files and a result file
on fd 3. It uses the standard library only (``harness`` is not importable here).

Set-up, in order (see ``sandbox_walls``; as root each wall is required, so a missing
one is a set-up error naming it): join the pids cgroup; new network and IPC namespaces;
as root, a private mount namespace where everything is read-only except fresh small
tmpfs at ``/tmp`` (holding the program), ``/var/tmp``, ``/dev/shm`` and ``/run/lock``, the
project is an empty folder and unreadable parents of Python are bare; resource limits;
as root, drop to the given unprivileged uid/gid with no supplementary groups;
no-new-privileges; a seccomp filter refusing UNIX-domain sockets.

Two processes: this one, the supervisor (keeps its uid; a child subreaper), forks the
program's process, which drops privileges and runs the program. When the program
ends, the supervisor kills whatever it left and reaps every orphan, so no zombie is
left to an init that might not reap it.

Protocol on fd 3, one JSON object a line: ``{"ready": ..., "isolation": [...]}`` once
the program's set-up is done, ``{"verdict": ..., "details": ...}`` when its tests
finished, ``{"ended": true, "exit"|"signal": ..., "cpu": ...}`` from the supervisor.
A missing ready line means the sandbox itself failed. The program process does not
hold fd 3: it sends its two records on a pipe, each prefixed by a per-run nonce, and
the supervisor copies the first genuine one of each kind to fd 3.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import json
import linecache
import os
import resource
import select
import sys
import traceback
from typing import Any

RESULT_FD = 3
SETUP_FAILED = 121
PROGRAM = "solution.py"
RELAY_BYTES = 1 << 16

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
SIGKILL = 9

_libc = ctypes.CDLL(None, use_errno=True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox_walls  # a sibling file; ``harness`` is not importable here

sys.path.pop(0)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _write(record: dict[str, Any]) -> None:
    os.write(RESULT_FD, (json.dumps(record) + "\n").encode())


# --------------------------------------------------------------------------- set-up


def join_cgroup(cfg: dict[str, Any], notes: list[str]) -> None:
    path = cfg.get("cgroup_procs")
    if not path:
        return
    try:
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
        notes.append("pids-cgroup")
        cfg["joined_cgroup"] = True
    except OSError as exc:
        notes.append(f"no-pids-cgroup ({exc.strerror})")


def isolate_network(notes: list[str]) -> None:
    """A new network namespace (as a user: with a user and an IPC namespace where allowed)."""
    walls = sandbox_walls
    try:
        walls.unshare(walls.CLONE_NEWNET, "net")
        notes.append("netns")
        return
    except OSError as exc:
        first = exc
    if os.geteuid() != 0:
        try:
            walls.unshare(walls.CLONE_NEWUSER | walls.CLONE_NEWNET | walls.CLONE_NEWIPC, "user+net+ipc")
            notes.extend(["netns", "ipcns"])
            return
        except OSError as exc:
            first = exc
    notes.append(f"network-not-isolated ({first.strerror})")


def set_limits(cfg: dict[str, Any]) -> None:
    cpu = int(cfg["cpu_seconds"]) + (1 if cfg["cpu_seconds"] % 1 else 0)
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_AS: (cfg["memory_bytes"],) * 2,
        resource.RLIMIT_FSIZE: (cfg["file_size_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (cfg["max_open_files"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    if cfg.get("max_processes"):
        limits[resource.RLIMIT_NPROC] = (cfg["max_processes"],) * 2
    for which, value in limits.items():
        resource.setrlimit(which, value)


def drop_privileges(cfg: dict[str, Any], notes: list[str]) -> None:
    if os.geteuid() == 0:
        uid, gid = cfg["uid"], cfg["gid"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise OSError("still root after setuid")
        notes.append(f"uid {uid}")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    _libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)


def check_python_readable() -> None:
    probe = os.path.join(os.path.dirname(os.__file__), "os.py")
    if os.path.exists(probe) and not os.access(probe, os.R_OK):
        raise OSError(f"the sandbox user cannot read the Python installation ({probe}); "
                      "make it world-readable or allow mount namespaces")


def setup_supervisor(cfg: dict[str, Any]) -> tuple[list[str], str]:
    """Namespaces and cgroup, shared by the supervisor and the program. -> (notes, workdir inside)."""
    notes: list[str] = []
    os.closerange(RESULT_FD + 1, 65536)
    join_cgroup(cfg, notes)
    isolate_network(notes)
    sandbox_walls.isolate_ipc(notes)
    inside = sandbox_walls.isolate_files(cfg, notes)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    return notes, inside


def setup_program(cfg: dict[str, Any], notes: list[str], inside: str) -> None:
    """In the program's process: limits, unprivileged uid, working directory."""
    set_limits(cfg)
    drop_privileges(cfg, notes)
    check_python_readable()
    os.chdir(inside)
    for var in ("HOME", "TMPDIR"):
        os.environ[var] = inside
    add_site_packages()


def add_site_packages() -> None:
    """Make installed packages importable without running their .pth start-up hooks (-S)."""
    import site

    for folder in site.getsitepackages():
        if os.path.isdir(folder) and folder not in sys.path:
            sys.path.append(folder)


# --------------------------------------------------------------------------- the program


def describe(exc: BaseException, source_lines: list[str]) -> str:
    """One line naming the exception and, for the program's own frames, the failing line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM]
    where = ""
    if frames:
        line = frames[-1].lineno or 0
        text = source_lines[line - 1].strip() if 0 < line <= len(source_lines) else ""
        where = f" at line {line}" + (f": {text}" if text else "")
    message = str(exc)
    head = type(exc).__name__ + (f": {message[:500]}" if message else "")
    return head + where


def run_program() -> dict[str, Any]:
    with open(PROGRAM, encoding="utf-8") as fh:
        source = fh.read()
    lines = source.splitlines()
    linecache.cache[PROGRAM] = (len(source), None, source.splitlines(True), PROGRAM)
    namespace: dict[str, Any] = {"__name__": "__sandbox__", "__builtins__": builtins}
    try:
        exec(compile(source, PROGRAM, "exec"), namespace)  # noqa: S102 - this is the sandbox
    except MemoryError:
        return {"verdict": "memory", "details": "MemoryError: the program ran out of its memory limit"}
    except SystemExit as exc:
        return {"verdict": "fail", "details": f"the program called exit({exc.code!r}) before its tests finished"}
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        return {"verdict": "fail", "details": describe(exc, lines)}
    return {"verdict": "pass", "details": "all tests passed"}


def program_main(cfg: dict[str, Any], notes: list[str], inside: str, channel: tuple[int, bytes]) -> None:
    """The forked program process: never returns. It reports on ``channel`` only, never on fd 3."""
    try:
        setup_program(cfg, notes, inside)
        sandbox_walls.forbid_unix_sockets(notes)
    except BaseException as exc:
        _fail_setup(exc)
    os.close(RESULT_FD)
    report = _reporter(*channel)
    del channel
    report({"ready": True, "isolation": notes})
    result = run_program()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # e.g. the file size limit on stdout
            stream.flush()
    report(result)
    os._exit(0)


def _reporter(fd: int, nonce: bytes):  # type: ignore[no-untyped-def]
    """A writer bound now, so that a program patching ``json``/``os`` later cannot change it."""
    dumps, write = json.dumps, os.write

    def report(record: dict[str, Any]) -> None:
        write(fd, nonce + dumps(record).encode() + b"\n")

    return report


def relay(pid: int, read_fd: int, nonce: bytes) -> None:
    """Copy the program's ready and verdict records (lines bearing the nonce) to fd 3 until it ends."""
    os.set_blocking(read_fd, False)
    pidfd = os.pidfd_open(pid)
    buffer, kinds, ended = b"", set(), False
    while not ended:
        ready, _, _ = select.select([read_fd, pidfd], [], [])
        ended = pidfd in ready
        with contextlib.suppress(BlockingIOError):
            while len(buffer) < RELAY_BYTES and (chunk := os.read(read_fd, RELAY_BYTES)):
                buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            record = _genuine(line, nonce)
            kind = record and ("ready" if "ready" in record else "verdict" if "verdict" in record else None)
            if kind and kind not in kinds:
                kinds.add(kind)
                _write(record)
        buffer = buffer[-RELAY_BYTES:]
    os.close(pidfd)
    os.close(read_fd)


def _genuine(line: bytes, nonce: bytes) -> dict[str, Any] | None:
    if not line.startswith(nonce):
        return None
    try:
        record = json.loads(line[len(nonce):])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _fail_setup(exc: BaseException) -> None:
    sys.stderr.write(f"sandbox set-up failed: {exc}\n")
    _write({"ready": False, "error": f"sandbox set-up failed: {exc}"})
    os._exit(SETUP_FAILED)


def _leftovers(cfg: dict[str, Any]) -> set[int]:
    """Live processes the program left: in the cgroup, of its uid, or orphans reparented here."""
    me, uid = os.getpid(), cfg.get("uid")
    found: set[int] = set()
    if cfg.get("joined_cgroup"):  # nothing leaves a cgroup without root: the list is complete
        with open(cfg["cgroup_procs"]) as fh:
            return {int(p) for p in fh.read().split()} - {me}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh.read().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("State", "").strip().startswith("Z"):
            continue
        mine = int(fields.get("PPid", "0")) == me
        same_uid = uid is not None and fields.get("Uid", "").split()[:1] == [str(uid)]
        if mine or same_uid:
            found.add(int(name))
    found.discard(me)
    return found


def supervise(cfg: dict[str, Any], pid: int) -> None:
    """Wait for the program, kill what it left, reap every orphan (we are their subreaper)."""
    _, status, usage = os.wait4(pid, 0)
    for _ in range(500):
        left = _leftovers(cfg)
        if not left:
            break
        for other in left:
            try:
                os.kill(other, SIGKILL)
            except OSError:
                pass
        _reap(block=False)
    _reap(block=True)
    ended: dict[str, Any] = {"ended": True, "cpu": usage.ru_utime + usage.ru_stime}
    if os.WIFSIGNALED(status):
        ended["signal"] = os.WTERMSIG(status)
    else:
        ended["exit"] = os.WEXITSTATUS(status)
    _write(ended)


def _reap(block: bool) -> None:
    while True:
        try:
            done, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if not done and not block:
            return


def main() -> None:
    cfg = json.loads(sys.argv[1])
    try:
        notes, inside = setup_supervisor(cfg)
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        nonce = os.urandom(16).hex().encode()
        pid = os.fork()
    except BaseException as exc:
        _fail_setup(exc)
    if pid == 0:
        os.close(read_fd)
        program_main(cfg, notes, inside, (write_fd, nonce))
    os.close(write_fd)
    relay(pid, read_fd, nonce)
    supervise(cfg, pid)
    os._exit(0)


if __name__ == "__main__":
    main()

"""The sandboxed side of ``harness.scoring.sandbox``: isolates itself, then runs ``solution.py``.

Started by ``harness.scoring.sandbox`` as ``python -I -S sandbox_child.py CONFIG_JSON`` in a new
session, with stdin on /dev/null, stdout/stderr on size-limited files and a result file
on fd 3. It uses the standard library only (``harness`` is not importable here).

Set-up, in order (each step that the OS refuses is noted, never silently skipped):
join the pids cgroup; new network namespace (loopback down); as root, a new mount
namespace where ``/tmp``, ``/var/tmp`` and ``/dev/shm`` are the work directory and
unreadable ancestors of the Python installation are replaced by bare directories
(so that ``/root`` and the like are hidden); resource limits; as root, drop to the
given unprivileged uid/gid with no supplementary groups; no-new-privileges.

Two processes: this one, the supervisor (keeps its uid; a child subreaper), forks the
program's process, which drops privileges and runs the program. When the program
ends, the supervisor kills whatever it left and reaps every orphan, so no zombie is
left to an init that might not reap it.

Protocol on fd 3, one JSON object a line: ``{"ready": ..., "isolation": [...]}`` once
the program's set-up is done, ``{"verdict": ..., "details": ...}`` when its tests
finished, ``{"ended": true, "exit"|"signal": ..., "cpu": ...}`` from the supervisor.
A missing ready line means the sandbox itself failed.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import json
import linecache
import os
import resource
import sys
import traceback
from typing import Any

RESULT_FD = 3
SETUP_FAILED = 121
PROGRAM = "solution.py"

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC = 2, 4, 32, 4096, 8192, 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
SIGKILL = 9

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), f"unshare({what})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


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
    try:
        _unshare(CLONE_NEWNET, "net")
        notes.append("netns")
        return
    except OSError as exc:
        first = exc
    if os.geteuid() != 0:
        try:
            _unshare(CLONE_NEWUSER | CLONE_NEWNET, "user+net")
            notes.append("netns")
            return
        except OSError as exc:
            first = exc
    notes.append(f"network-not-isolated ({first.strerror})")


def _python_roots() -> list[str]:
    roots = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    roots.update(p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p))
    return sorted(roots)


def _hidden_ancestors(path: str) -> list[tuple[str, str]]:
    """(dir, child) pairs on the way to ``path`` where ``dir`` is not world-searchable."""
    pairs = []
    parts = os.path.realpath(path).strip("/").split("/")
    for i in range(len(parts) - 1):
        parent = "/" + "/".join(parts[:i])
        if not os.stat(parent).st_mode & 0o001:
            pairs.append((parent.rstrip("/") or "/", parts[i]))
    return pairs


def _uncover(parent: str, children: set[str], stage: str) -> None:
    """Replace ``parent`` by an empty tmpfs that only holds ``children`` (bind mounts)."""
    staged = []
    for n, child in enumerate(sorted(children)):
        spot = os.path.join(stage, str(n))
        os.mkdir(spot, 0o700)
        _mount(os.path.join(parent, child), spot, None, MS_BIND | MS_REC)
        staged.append((child, spot))
    _mount("tmpfs", parent, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for child, spot in staged:
        os.mkdir(os.path.join(parent, child), 0o755)
        _mount(spot, os.path.join(parent, child), None, MS_MOVE)


def isolate_files(cfg: dict[str, Any], notes: list[str]) -> str:
    """As root: a private mount namespace. Returns the work directory as the program sees it."""
    workdir = cfg["workdir"]
    if os.geteuid() != 0:
        return workdir
    try:
        _unshare(CLONE_NEWNS, "mount")
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        notes.append(f"no-mountns ({exc.strerror})")
        return workdir
    needed: dict[str, set[str]] = {}
    for root in _python_roots():
        for parent, child in _hidden_ancestors(root):
            needed.setdefault(parent, set()).add(child)
    for parent in sorted(needed, key=len, reverse=True):
        _uncover(parent, needed[parent], cfg["stage"])
    for spot in ("/var/tmp", "/dev/shm", "/tmp"):  # /tmp last: it covers workdir
        if os.path.isdir(spot):
            _mount(workdir, spot, None, MS_BIND)
    notes.append("mountns")
    return "/tmp"


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
    inside = isolate_files(cfg, notes)
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


def program_main(cfg: dict[str, Any], notes: list[str], inside: str) -> None:
    """The forked program process: never returns."""
    try:
        setup_program(cfg, notes, inside)
    except BaseException as exc:
        _fail_setup(exc)
    _write({"ready": True, "isolation": notes})
    result = run_program()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # e.g. the file size limit on stdout
            stream.flush()
    _write(result)
    os._exit(0)


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
        pid = os.fork()
    except BaseException as exc:
        _fail_setup(exc)
    if pid == 0:
        program_main(cfg, notes, inside)
    supervise(cfg, pid)
    os._exit(0)


if __name__ == "__main__":
    main()

"""The sandbox's walls, raised by ``sandbox_child.py``: IPC namespace, file system, socket filter.

Standard library only; ``sandbox_child.py`` imports it from its own folder (it runs as
``python -I -S``, where ``harness`` is not importable).

- ``isolate_ipc``: a new IPC namespace, so SysV shared memory, semaphores and message
  queues are private to the run and die with it.
- ``isolate_files`` (root): a private mount namespace in which every existing mount is
  read-only, ``/tmp`` is a small fresh tmpfs holding the program, ``/var/tmp``,
  ``/dev/shm`` and ``/run/lock`` are fresh small tmpfs, the project (the harness's working
  directory and the folder holding its ``harness.yaml`` or ``.git``) is an empty folder,
  and unreadable parents of the Python installation (e.g. ``/root``) show only what
  Python needs.
- ``forbid_unix_sockets``: a seccomp filter on the program refusing ``socket(AF_UNIX)``
  (so no UNIX-domain socket on the machine can be reached: filesystem or abstract),
  ``io_uring_setup`` and syscalls of other ABIs (x32, i386 through ``int 0x80``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_MOVE, MS_REC, MS_RELATIME = 1024, 2048, 4096, 8192, 16384, 1 << 21
MS_PRIVATE = 1 << 18
MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
               "noatime": MS_NOATIME, "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
SCRATCH = ("/var/tmp", "/dev/shm", "/run/lock")  # fresh tmpfs each; /var/lock links to /run/lock
SCRATCH_OPTIONS = "mode=1777,size=16m,nr_inodes=1024"
TMP_OPTIONS = "mode=0755,size={size},nr_inodes=4096"

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
AF_UNIX = 1
# (audit arch, socket, io_uring_setup) per machine
SYSCALLS = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), f"unshare({what})")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


# --------------------------------------------------------------------------- IPC


def isolate_ipc(notes: list[str]) -> None:
    """A new IPC namespace (as root; as a user, ``isolate_network`` makes one with the user namespace)."""
    if os.geteuid() != 0:
        return
    unshare(CLONE_NEWIPC, "ipc")  # as root, no IPC namespace means no sandbox: the error says why
    notes.append("ipcns")


# --------------------------------------------------------------------------- files


def _python_roots() -> list[str]:
    roots = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    roots.update(p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p))
    return sorted(os.path.realpath(r) for r in roots)


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
    for child in sorted(children):
        spot = os.path.join(stage, str(len(os.listdir(stage))))
        os.mkdir(spot, 0o700)
        mount(os.path.join(parent, child), spot, None, MS_BIND | MS_REC)
        staged.append((child, spot))
    mount("tmpfs", parent, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for child, spot in staged:
        os.mkdir(os.path.join(parent, child), 0o755)
        mount(spot, os.path.join(parent, child), None, MS_MOVE)


def project_folders(cwd: str) -> set[str]:
    """The harness's working directory and the nearest folder above it holding harness.yaml or .git."""
    found = {os.path.realpath(cwd)}
    for marker in ("harness.yaml", ".git"):
        folder = os.path.realpath(cwd)
        while folder != "/":
            if os.path.exists(os.path.join(folder, marker)):
                found.add(folder)
                break
            folder = os.path.dirname(folder)
    return {f for f in found if f != "/"}


def _expose_only(folder: str, roots: list[str], stage: str) -> None:
    """Cover ``folder`` with an empty tmpfs that shows only the Python roots inside it."""
    inside = [r for r in roots if r.startswith(folder.rstrip("/") + "/")]
    inside = [r for r in inside if not any(r.startswith(o + "/") for o in inside)]
    staged = []
    for root in inside:
        spot = os.path.join(stage, str(len(os.listdir(stage))))
        os.mkdir(spot, 0o700)
        mount(root, spot, None, MS_BIND | MS_REC)
        staged.append((root, spot))
    mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for root, spot in staged:
        os.makedirs(root, 0o755, exist_ok=True)
        mount(spot, root, None, MS_MOVE)


def _hide(folders: set[str], roots: list[str], stage: str) -> None:
    """Hide each folder (a project) unless Python itself lives in it or it is a parent of ``stage``."""
    for folder in sorted(folders, key=len):
        if not os.path.isdir(folder) or any(folder == r or folder.startswith(r + "/") for r in roots):
            continue
        if stage.startswith(folder.rstrip("/") + "/"):
            raise OSError(f"cannot hide the project {folder}: it holds the sandbox's temporary folder "
                          f"({stage}); set TMPDIR outside the project")
        _expose_only(folder, roots, stage)


def _mounts() -> list[tuple[str, int]]:
    """(mount point, per-mount flags) of every mount, parents first."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = 0
            for option in fields[5].split(","):
                flags |= MOUNT_FLAGS.get(option, 0)
            found.append((point, flags))
    return found


def _read_only_everywhere(keep: set[str]) -> None:
    """Remount every mount read-only, except the sandbox's own ``keep`` (and what lies under them)."""
    for point, flags in _mounts():
        if any(point == k or point.startswith(k + "/") for k in keep) or flags & MS_RDONLY:
            continue
        try:
            mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.EACCES):  # covered by a later mount: unreachable
                continue
            raise


def isolate_files(cfg: dict, notes: list[str]) -> str:
    """As root: the private, read-only mount namespace. Returns the work directory as the program sees it."""
    workdir = cfg["workdir"]
    if os.geteuid() != 0:
        return workdir
    unshare(CLONE_NEWNS, "mount")  # as root, no mount namespace means no sandbox
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    with open(os.path.join(workdir, "solution.py"), "rb") as fh:
        program = fh.read()
    roots = _python_roots()
    needed: dict[str, set[str]] = {}
    for root in roots:
        for parent, child in _hidden_ancestors(root):
            needed.setdefault(parent, set()).add(child)
    for parent in sorted(needed, key=len, reverse=True):
        _uncover(parent, needed[parent], cfg["stage"])
    _hide(project_folders(os.getcwd()) | set(cfg.get("hide", ())), roots, cfg["stage"])
    os.chdir("/")
    scratch = [s for s in SCRATCH if os.path.isdir(s) and not os.path.islink(s)]
    for spot in scratch:
        mount("tmpfs", spot, "tmpfs", MS_NOSUID | MS_NODEV, SCRATCH_OPTIONS)
    size = max(cfg["file_size_bytes"] * 4, 1 << 20)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, TMP_OPTIONS.format(size=size))
    with open("/tmp/solution.py", "wb") as fh:
        fh.write(program)
    if cfg.get("uid") is not None:
        os.chown("/tmp", cfg["uid"], cfg["gid"])
        os.chown("/tmp/solution.py", cfg["uid"], cfg["gid"])
    _read_only_everywhere({"/tmp", *scratch})
    notes.append("mountns")
    notes.append("read-only-root")
    return "/tmp"


# --------------------------------------------------------------------------- sockets


def _filter(arch: int, nr_socket: int, nr_uring: int) -> bytes:
    """Classic BPF for seccomp: refuse socket(AF_UNIX, ...), io_uring and foreign ABIs."""
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, refuse = 0x7FFF0000, 0x00050000 | errno.EPERM
    program = [
        (ld, 0, 0, 4),                  # 0: arch
        (jeq, 1, 0, arch),              # 1: our ABI -> 3
        (ret, 0, 0, refuse),            # 2
        (ld, 0, 0, 0),                  # 3: syscall number
        (jge, 5, 0, 0x40000000),        # 4: x32 -> 10
        (jeq, 5, 0, nr_uring),          # 5: io_uring_setup -> 11
        (jeq, 1, 0, nr_socket),         # 6: socket -> 8
        (ret, 0, 0, allow),             # 7
        (ld, 0, 0, 16),                 # 8: args[0] (domain), low 32 bits
        (jeq, 1, 2, AF_UNIX),           # 9: AF_UNIX -> 11, else -> 12 (allow)
        (ret, 0, 0, refuse),            # 10
        (ret, 0, 0, refuse),            # 11
        (ret, 0, 0, allow),             # 12
    ]
    return b"".join(struct.pack("=HBBI", *ins) for ins in program)


def forbid_unix_sockets(notes: list[str]) -> None:
    """Install the seccomp filter (needs no-new-privileges, already set); an unknown machine is an error."""
    machine = platform.machine()
    if machine not in SYSCALLS:
        raise OSError(f"no UNIX-socket filter for machine {machine!r}: the sandbox refuses to run without it")
    code = _filter(*SYSCALLS[machine])
    buffer = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Program(len(code) // 8, ctypes.addressof(buffer))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp filter")
    notes.append("no-unix-sockets")

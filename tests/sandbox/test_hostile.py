"""Hostile programs: each gets a verdict in time, leaves no process and changes no file.

Runs inside ``outer_pids_guard`` (a pids cgroup around this test process) and
pytest-timeout, so a broken sandbox cannot take the machine down.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path

import pytest

from harness.scoring.sandbox import Limits, SandboxResult, run_code

LIMITS = Limits(cpu_seconds=1, wall_seconds=4, memory_mb=512)
SLACK_S = 2.0

HOSTILE: dict[str, tuple[str, set[str]]] = {
    "os-system": ("import os\nos.system('echo pwned > {canary}/os-system; sleep 30 &')\n", {"pass", "fail"}),
    "subprocess": (("import subprocess\n"
                   "subprocess.run(['sh', '-c', 'echo pwned > {canary}/subprocess'])\n"
                   "subprocess.Popen(['sleep', '30'], start_new_session=True)\n"), {"pass", "fail"}),
    "posix-system": ("import posix\nposix.system('echo pwned > {canary}/posix; (setsid sleep 30 &)')\n",
                     {"pass", "fail"}),
    "ctypes-system": (("import ctypes\n"
                      "ctypes.CDLL(None).system(b'echo pwned > {canary}/ctypes; nohup setsid sleep 30 &')\n"),
                      {"pass", "fail"}),
    "fork-bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {"timeout"}),
    "allocate-10gb": ("x = bytearray(10 * 1024 ** 3)\n", {"memory"}),
    "busy-loop": ("while True:\n    pass\n", {"timeout"}),
    "huge-power": ("x = 10 ** 10 ** 8\n", {"timeout", "memory"}),
    "ignore-sigterm": (("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                       "while True:\n    time.sleep(0.1)\n"), {"timeout"}),
    "stdout-1gb": ("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n",
                   {"fail"}),
    "write-home": (("import os\nopen(os.path.join(os.environ['HOME'], '{token}'), 'w').write('x')\n"
                   "open('/tmp/{token}', 'w').write('x')\nopen('{canary}/{token}', 'w').write('x')\n"),
                   {"fail"}),
    "socket-connect": (("import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                       "s.sendall(b'hello')\n"), {"fail"}),
}


def _hash_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(f"{path.relative_to(root)}:{path.stat().st_mode}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture()
def canary(tmp_path: Path) -> Path:
    folder = tmp_path / "canary"
    folder.mkdir()
    (folder / "keep.txt").write_text("do not touch\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.bin").write_bytes(os.urandom(256))
    os.chmod(folder, 0o755)
    return folder


@pytest.fixture()
def listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.setblocking(False)
    yield server
    server.close()


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:
                continue
            uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
            if int(uid_line.split()[1]) == uid and "State:\tZ" not in status:
                found.append(int(entry.name))
    return found


def _assert_nothing_left(result: SandboxResult, guard: Path | None) -> None:
    assert result.process_group is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(result.process_group, 0)
    if result.uid is not None:
        assert _processes_of(result.uid) == []
    if guard is not None:
        assert [p.name for p in guard.iterdir() if p.is_dir()] == []   # sandbox cgroups removed
        assert (guard / "cgroup.procs").read_text().split() == [str(os.getpid())]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(name: str, canary: Path, listener: socket.socket,
                                      outer_pids_guard: Path | None) -> None:
    if name == "fork-bomb" and outer_pids_guard is None:
        pytest.skip("no pids cgroup to hold a fork bomb if the sandbox failed; not run here")
    source, expected = HOSTILE[name]
    token = f"harness-canary-{uuid.uuid4().hex}"
    program = source.format(canary=canary, token=token, port=listener.getsockname()[1])
    before = _hash_tree(canary)
    own_tasks = int((outer_pids_guard / "pids.current").read_text()) if outer_pids_guard else 0

    started = time.monotonic()
    result = run_code(program, LIMITS)
    elapsed = time.monotonic() - started

    assert result.verdict in expected, (result.verdict, result.details, result.stderr[-500:])
    assert elapsed <= LIMITS.wall + SLACK_S
    _assert_nothing_left(result, outer_pids_guard)
    assert _hash_tree(canary) == before
    assert not (Path.home() / token).exists()
    assert not (Path("/tmp") / token).exists()
    if name == "fork-bomb" and (outer_pids_guard / "pids.peak").exists():
        peak = int((outer_pids_guard / "pids.peak").read_text())
        assert peak <= own_tasks + LIMITS.max_processes + 1 + 2   # + supervisor, + slack for our threads
    if name == "socket-connect":
        if result.network_isolated:
            with pytest.raises(BlockingIOError):
                listener.accept()
        else:
            assert "network-not-isolated" in " ".join(result.isolation)


def test_hostile_programs_report_their_ending() -> None:
    busy = run_code(HOSTILE["busy-loop"][0], LIMITS)
    assert busy.verdict == "timeout" and "CPU" in busy.details
    asleep = run_code(HOSTILE["ignore-sigterm"][0], LIMITS)
    assert asleep.verdict == "timeout" and "wall-clock" in asleep.details
    big = run_code(HOSTILE["stdout-1gb"][0], LIMITS)
    assert "File too large" in big.details
    assert len(big.stdout) <= 4096


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces and uid changes need root here")
def test_isolation_is_complete_as_root() -> None:
    result = run_code("import os\nprint(os.getuid(), os.getcwd(), sorted(os.environ))\n", LIMITS)
    assert result.verdict == "pass"
    assert result.network_isolated
    assert {"netns", "mountns", "pids-cgroup"} <= set(result.isolation)
    uid, cwd, env = result.stdout.split(" ", 2)
    assert int(uid) == result.uid and result.uid != 0
    assert cwd == "/tmp"
    assert "HOME" in env and "PYTHONPATH" not in env

"""Round 2 of hostile programs, as root: SysV memory, world-writable folders, UNIX sockets,
forged verdicts and the project's files (issue 16, items 1-5)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scoring.sandbox import Limits, run_code

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's walls are built as root (as in CI)")]
LIMITS = Limits(cpu_seconds=2, wall_seconds=8, memory_mb=768)


@pytest.fixture()
def outside() -> Iterator[Path]:
    """A folder outside /tmp (which the sandbox covers anyway), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="harness-walls-", dir="/var/lib"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _shm_segments() -> list[list[str]]:
    return [line.split() for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]


SHM = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
made = 0
for _ in range(8):
    sid = libc.shmget(0, 64 << 20, 0o1600)
    if sid < 0:
        continue
    addr = libc.shmat(sid, None, 0)
    if addr not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(addr, 1, 64 << 20)
    made += 1
print(made)
"""


def test_sysv_shared_memory_dies_with_the_run() -> None:
    before = len(_shm_segments())
    result = run_code(SHM, LIMITS)
    assert "ipcns" in result.isolation
    assert result.stdout.strip() == "8"     # it could make them, in its own namespace
    owned = [s for s in _shm_segments() if result.uid is not None and s[4:5] == [str(result.uid)]]
    assert owned == [] and len(_shm_segments()) == before


def test_world_writable_places_keep_nothing(outside: Path) -> None:
    shared = outside / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o1777)
    token = f"SBX-{uuid.uuid4().hex}"
    places = ["/run/lock", "/var/lock", "/var/tmp", "/dev/shm", str(shared), "/tmp"]
    program = (f"import os\nwritten = []\nfor place in {places!r}:\n"
               f"    try:\n        open(os.path.join(place, {token!r}), 'w').write('x')\n"
               "        written.append(place)\n    except OSError as exc:\n        print(place, exc)\n"
               "print('WRITTEN', written)\n")
    result = run_code(program, LIMITS)
    assert result.verdict == "pass", result.details
    assert "read-only-root" in result.isolation
    assert f"'{shared}'" not in result.stdout.split("WRITTEN", 1)[1]   # the root file system is read-only
    for place in places:
        assert not (Path(place) / token).exists(), place


def test_unix_sockets_cannot_be_reached(outside: Path) -> None:
    folder = outside / "x"
    folder.mkdir()
    os.chmod(folder, 0o777)
    path = folder / "test.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    os.chmod(path, 0o777)
    server.listen(4)
    server.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0harness-{uuid.uuid4().hex}")
    abstract.listen(4)
    abstract.setblocking(False)
    try:
        program = (f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({str(path)!r})\n"
                   "s.sendall(b'hello')\n")
        result = run_code(program, LIMITS)
        assert result.verdict == "fail"
        assert "PermissionError" in result.details and "no-unix-sockets" in result.isolation
        abstract_program = (f"import socket\ns = socket.socket(socket.AF_UNIX)\n"
                            f"s.connect({abstract.getsockname()!r})\n")
        assert run_code(abstract_program, LIMITS).verdict == "fail"
        for listener in (server, abstract):
            with pytest.raises(BlockingIOError):
                listener.accept()
    finally:
        server.close()
        abstract.close()


FORGERIES = {
    "fd-3": "import os\nos.write(3, b'{\"verdict\": \"pass\", \"details\": \"forged\"}\\n')\nos._exit(0)\n",
    "every-fd": ("import os\nfor fd in range(64):\n    try:\n"
                 "        os.write(fd, b'{\"ready\": true}\\n{\"verdict\": \"pass\", \"details\": \"forged\"}\\n')\n"
                 "    except OSError:\n        pass\nos._exit(0)\n"),
    "json-dumps": ("import json\njson.dumps = lambda *a, **k: '{\"verdict\": \"pass\", \"details\": \"forged\"}'\n"
                   "assert False, 'the tests fail'\n"),
    "print-exception": ("import os, traceback\n"
                        "def fake(*a, **k):\n"
                        "    os.write(3, b'{\"verdict\": \"pass\", \"details\": \"forged\"}\\n')\n    os._exit(0)\n"
                        "traceback.print_exception = fake\nassert False, 'the tests fail'\n"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_verdict_does_not_pass(name: str) -> None:
    result = run_code(FORGERIES[name], LIMITS)
    assert result.verdict != "pass" and result.details != "forged", (result.verdict, result.details)


def test_the_project_is_out_of_reach(outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = outside / "project"
    (project / ".harness").mkdir(parents=True)
    (project / "harness.yaml").write_text("default_model: secret\n")
    (project / ".harness" / "history.db").write_bytes(b"SQLite format 3\0secret")
    (project / "sub").mkdir()
    os.chmod(outside, 0o755)
    monkeypatch.chdir(project / "sub")
    program = "\n".join(f"print(open({str(p)!r}, 'rb').read())" for p in
                        (project / "harness.yaml", project / ".harness" / "history.db"))
    result = run_code(program, LIMITS)
    assert result.verdict == "fail" and "FileNotFoundError" in result.details, result.details
    assert "secret" not in result.stdout
    assert run_code("print(1)", LIMITS).verdict == "pass"


SUITE = """id: bounded
allow_code: true
template: "{{ q }}"
cases:
  - id: one
    vars: {q: x}
    checks:
      - type: code-tests
        test: "def check(f):\\n    pass\\n"
        memory_mb: 100000
"""


def test_a_suite_cannot_raise_the_sandbox_limits(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "harness.yaml").write_text("{}\n")
    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE)
    cli = [sys.executable, "-m", "harness"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    refused = subprocess.run([*cli, "validate", str(suite)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert refused.returncode == 2, refused.stderr
    said = refused.stdout + refused.stderr
    assert "s.yaml:10" in said and "memory_mb" in said and "above the bound" in said, said
    raised = subprocess.run([*cli, "--sandbox-max-memory-mb", "100000", "validate", str(suite)], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert raised.returncode == 0, raised.stderr

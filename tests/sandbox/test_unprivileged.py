"""The sandbox when the harness does not run as root (no uid change, cgroup or mount namespace).

Runs the sandbox module under a system Python as an unprivileged uid, inside the
module's outer pids cgroup, and checks verdicts and that nothing is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCORING = ROOT / "harness" / "scoring"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")
USER = 4321

# The sandbox modules use only the standard library: the driver loads them by path under a
# system python that has none of harness's dependencies.
DRIVER = """
import importlib.util, json, os, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec); sys.modules[name] = mod; spec.loader.exec_module(mod)
    return mod
load("harness.scoring.sandbox_processes", sys.argv[1])
sbx = load("sbx", sys.argv[2])
limits = sbx.Limits(cpu_seconds=1, wall_seconds=4)
out = {}
for name, source in json.loads(sys.argv[3]).items():
    r = sbx.run_code(source, limits)
    out[name] = [r.verdict, list(r.isolation), r.process_group]
print(json.dumps(out))
"""

PROGRAMS = {
    "pass": "print('hi')",
    "fail": "assert 1 == 2",
    "busy": "while True:\n    pass\n",
    "orphan": "import os\nos.system('setsid sleep 30 &')\n",
    "fork-bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
}


def _usable() -> bool:
    if os.geteuid() != 0 or SYSTEM_PYTHON is None:
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info >= (3, 10))"],
                           capture_output=True, text=True, user=USER, group=USER, extra_groups=[], check=False)
    return probe.stdout.strip() == "True"


@pytest.mark.timeout(120)
def test_sandbox_as_a_normal_user(outer_pids_guard: Path | None) -> None:
    if outer_pids_guard is None or not _usable():
        pytest.skip("needs root (to switch to a test uid), a pids cgroup guard and a system python3")
    done = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-c", DRIVER, str(SCORING / "sandbox_processes.py"), str(SCORING / "sandbox.py"),
         json.dumps(PROGRAMS)],
        capture_output=True, text=True, user=USER, group=USER, extra_groups=[], timeout=100, cwd="/",
        env={"PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    assert [results[n][0] for n in PROGRAMS] == ["pass", "fail", "timeout", "pass", "timeout"]
    assert all("uid" not in " ".join(r[1]) for r in results.values())
    left = subprocess.run(["ps", "-e", "-o", "pid=,uid=,stat="], capture_output=True, text=True, check=True).stdout
    assert [line for line in left.splitlines() if line.split()[1] == str(USER)] == []
    for _, _, group in results.values():
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)

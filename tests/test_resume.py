"""A run killed with SIGKILL resumes from the cache: nothing missing, nothing generated twice.

The run goes through ``python -m harness run --model fake:echo`` with
``HARNESS_FAKE_DELAY`` (so there is time to kill it) and ``HARNESS_FAKE_COUNTER``
(one line per generation, appended across processes). It is killed at several
points, rerun to completion, and compared case by case with an uninterrupted run.
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness_project import Project, subprocess_env

from harness.generation.cache import GenerationCache

CASES = 10
SAMPLES = 2
TOTAL = CASES * SAMPLES
DELAY = 0.05
KILL_AT = (3, 8, 13)  # generations done (all attempts together) when each attempt is killed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def write_suite(project: Project) -> None:
    cases = "".join(f"  - {{id: c{i}, vars: {{q: 'question {i}'}}, checks: [{{type: contains, value: '{i}'}}]}}\n"
                    for i in range(CASES))
    # sampled (temperature > 0), so every sample is generated (greedy samples after the first are reused)
    project.suite("many", "id: many\ntemplate: 'Q: {{ q }}'\ndefaults: {params: {temperature: 0.5}}\ncases:\n"
                  + cases)


def counted(counter: Path) -> list[tuple[str, int]]:
    """(case, sample) of every generation so far, from the fake backend's counter file."""
    if not counter.exists():
        return []
    rows = [line.split("\t") for line in counter.read_text().splitlines() if line]
    return [(case, int(sample)) for _suite, case, _variant, sample in rows]


# The child starts as from a terminal, SIGINT neither ignored nor blocked: a child inherits both from
# the test process, where libraries loaded by earlier tests may have set them (a program started with
# SIGINT ignored, as by ``nohup`` or as a background job, rightly ignores Ctrl-C).
INTERRUPTIBLE = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); os.execv(sys.executable, sys.argv[1:])")


def start(project: Project, counter: Path, delay: float = DELAY) -> subprocess.Popen:
    env = subprocess_env(HARNESS_FAKE_DELAY=str(delay), HARNESS_FAKE_COUNTER=str(counter))
    return subprocess.Popen([sys.executable, "-c", INTERRUPTIBLE, sys.executable, "-m", "harness", "run",
                             "suites/many.yaml", "--model", "fake:echo", "--samples", str(SAMPLES), "--no-store",
                             "--json", "out.json"],
                            cwd=project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _sigint_state(pid: int) -> str:
    """The SigBlk and SigIgn masks of a process (what to look at when SIGINT did not stop it)."""
    status = Path(f"/proc/{pid}/status")
    lines = status.read_text().splitlines() if status.exists() else []
    return " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn")))


def kill_when(proc: subprocess.Popen, counter: Path, done: int) -> None:
    """SIGKILL once ``done`` generations are counted, halfway into the next one's delay."""
    deadline = time.monotonic() + 90
    while len(counted(counter)) < done:
        if proc.poll() is not None:
            pytest.fail(f"run ended before {done} generations: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no progress to {done} generations")
        time.sleep(0.002)
    time.sleep(DELAY / 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_killed_runs_resume_without_loss_or_duplicates(project: Project, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write_suite(project)
    clean = tmp_path / "clean"
    shutil.copytree(project.root, clean)
    counter = tmp_path / "generations.tsv"
    cache_dir = project.root / ".harness" / "cache"

    lost_in_flight = 0
    for done in KILL_AT:
        kill_when(start(project, counter), counter, done)
        entries = GenerationCache(cache_dir).stats().entries
        generated = len(counted(counter))
        # Everything generated before the kill is cached, except at most the one in flight.
        assert generated - entries in (0, 1), (generated, entries)
        lost_in_flight += generated - entries
    assert not (project.root / "out.json").exists()

    final = start(project, counter)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err

    runs = collections.Counter(counted(counter))
    expected = {(f"c{i}", s) for i in range(CASES) for s in range(SAMPLES)}
    assert set(runs) == expected, "missing generations"
    duplicated = {key: n for key, n in runs.items() if n > 1}
    assert sum(n - 1 for n in duplicated.values()) == lost_in_flight <= len(KILL_AT), duplicated
    print(f"resume: {len(KILL_AT)} kills, {TOTAL} generations, {lost_in_flight} redone (in flight at a kill)")

    monkeypatch.chdir(clean)
    assert project.cli("run", "suites/many.yaml", "--model", "fake:echo", "--samples", str(SAMPLES),
                       "--no-store", "--json", "out.json").code == 0
    resumed = project.read_json("out.json")["suites"][0]["cases"]
    uninterrupted = json_cases(clean / "out.json")
    assert [c["id"] for c in resumed] == [c["id"] for c in uninterrupted] == [f"c{i}" for i in range(CASES)]
    for got, want in zip(resumed, uninterrupted, strict=True):
        assert len(got["outputs"]) == SAMPLES
        assert (got["outputs"], got["pass_rate"], got["scores"]) == (want["outputs"], want["pass_rate"], want["scores"])


def json_cases(path: Path) -> list[dict]:
    import json

    return json.loads(path.read_text())["suites"][0]["cases"]


def test_ctrl_c_exits_130_and_keeps_finished_work(project: Project, tmp_path: Path) -> None:
    from harness.generation.backends.fake import FakeBackend

    write_suite(project)
    counter = tmp_path / "generations.tsv"
    delay = 0.25   # 4 s of generation left after the 4th: Ctrl-C lands while generating, even on a busy machine
    proc = start(project, counter, delay)
    deadline = time.monotonic() + 90
    while len(counted(counter)) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.002)
    time.sleep(delay / 2)
    state = _sigint_state(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, f"{err}\nchild {state}; test process {_sigint_state(os.getpid())}"
    assert "Traceback" not in err
    cached = GenerationCache(project.root / ".harness" / "cache").stats().entries
    assert cached >= 4
    before = FakeBackend.generated
    result = project.cli("run", "suites/many.yaml", "--model", "fake:echo", "--samples", str(SAMPLES), "--no-store")
    assert result.code == 0
    assert FakeBackend.generated - before == TOTAL - cached

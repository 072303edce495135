"""Scale on the fake backend: per-case overhead and peak RSS of ``harness run`` from a JSONL suite, and
the time of ``harness compare`` of two recorded (replay) runs, at several suite sizes.

Each command runs in a fresh child process (its peak RSS is its own), from a cold generation cache,
recording into the history database. The per-case overhead is the slope between consecutive sizes
(start-up and imports cancel out). Run: ``python benchmarks/bench_scale.py [SIZES...]``
(default 1000 10000 100000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_project(root: Path, cases: int) -> None:
    root.mkdir(parents=True)
    (root / "harness.yaml").write_text("cache_dir: .harness/cache\ndatabase: sqlite:///.harness/history.db\n")
    with (root / "cases.jsonl").open("w") as fh:
        for i in range(cases):
            fh.write(json.dumps({"qid": f"c{i}", "question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n")
    (root / "s.yaml").write_text('id: s\ntemplate: "Q: {{ question }}"\ncases_from: {path: cases.jsonl, id: qid, '
                                 'vars: [question], reference: answer, checks: [{type: contains, value: "1"}]}\n')
    for name, flip in (("base.jsonl", 0), ("cand.jsonl", 97)):
        with (root / name).open("w") as fh:
            for i in range(cases):
                ok = flip == 0 or i % flip
                fh.write(json.dumps({"case": f"c{i}", "sample": 0, "output": "1" if ok else "no"}) + "\n")


PEAK = "import resource, runpy, sys; sys.argv = ['harness', *sys.argv[1:]]\n" \
       "try:\n    runpy.run_module('harness', run_name='__main__')\nfinally:\n" \
       "    print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"


def timed(root: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of ``harness ARGS`` in its own child process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"harness {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB")][-1]
    return wall, round(int(peak.split()[1]) / 1024)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]
    print(f"{'cases':>8s} {'run s':>8s} {'ms/case':>8s} {'marginal ms/case':>17s} {'run peak RSS MB':>16s} "
          f"{'compare s':>10s} {'compare RSS MB':>15s}")
    previous: tuple[int, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(sizes):
            root = Path(tmp) / f"p{n}"
            write_project(root, n)
            run_s, rss = timed(root, "run", "s.yaml", "-m", "fake:echo", "--json", "run.json")
            compare_s, compare_rss = timed(root, "compare", "s.yaml", "-b", "replay:base.jsonl",
                                           "-c", "replay:cand.jsonl", "--no-store", "--json", "cmp.json")
            marginal = f"{(run_s - previous[1]) / (n - previous[0]) * 1000:17.3f}" if previous else f"{'–':>17s}"
            print(f"{n:8d} {run_s:8.1f} {run_s / n * 1000:8.3f} {marginal} {rss:16d} {compare_s:10.1f} "
                  f"{compare_rss:15d}")
            previous = (n, run_s)


if __name__ == "__main__":
    main()

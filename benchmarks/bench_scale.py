"""Scale on the fake backend, as one table: per-case overhead (slope) and peak RSS of ``harness run`` from
a JSONL suite at several sizes, ``harness compare`` of two recorded (replay) runs at each size, and the
dashboard's page times over a history of 10,000 stored runs.

Each command runs in a fresh child process (its peak RSS is its own), from a cold generation cache,
recording into the history database. The per-case overhead is the slope between consecutive sizes
(start-up and imports cancel out). The dashboard history is the smallest size's real runs and
comparison (stored by an extra, untimed ``compare --db``), plus synthetic runs and comparisons
inserted in bulk to reach 10,000 runs; each page is requested once to warm up, then timed (median of 3).
Run: ``python benchmarks/bench_scale.py [SIZES...]`` (default 1000 10000 100000); ``--only compare`` times
only the compare leg at each size (no run leg, no dashboard), ``--keep DIR`` leaves the projects in DIR,
``--repeat N`` (default 3) times each compare N times and reports the median with the range.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_RUNS = 10_000
DASHBOARD_COMPARISONS = 1_000
GOALS = {"run_rss_mb": 1536, "compare_s": 60.0, "page_s": 1.0}


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


def seed_history(url: str, runs: int, comparisons: int) -> None:
    """Bulk-insert synthetic runs (3 cases each) and comparisons next to the real ones already stored."""
    import sqlalchemy as sa

    from harness.store import Store, schema

    with Store(url) as store, store._engine.begin() as conn:
        real = dict(conn.execute(sa.select(schema.runs).limit(1)).one()._mapping)
        have = conn.scalar(sa.select(sa.func.count()).select_from(schema.runs)) or 0
        rows, cases = [], []
        for n in range(runs - have):
            run_id = f"{n:08x}" + "f" * 24
            rows.append({**real, "run_id": run_id, "model_spec": f"fake:model-{n % 4}",
                         "prompt_version": f"v{n % 3}", "started_at": f"2025-{1 + n // 5000 % 12:02d}-"
                         f"{1 + n // 200 % 28:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00+00:00",
                         "finished_at": None, "pass_rate": (n % 100) / 100, "status": "complete"})
            cases += [{"run_id": run_id, "case_id": f"c{i}", "tags": [], "reference": None, "n": 1,
                       "n_passed": int(n % (i + 2) == 0), "pass_rate": float(n % (i + 2) == 0),
                       "consistent": True} for i in range(3)]
        conn.execute(schema.runs.insert(), rows)
        conn.execute(schema.run_cases.insert(), cases)
        real_cs = dict(conn.execute(sa.select(schema.comparison_suites).limit(1)).one()._mapping)
        heads, suites = [], []
        for n in range(comparisons - 1):
            comparison_id = f"{n:08x}" + "e" * 24
            heads.append({"comparison_id": comparison_id, "created_at": f"2025-06-{1 + n % 28:02d}T{n % 24:02d}:00:00",
                          "verdict": ("pass", "warn", "fail")[n % 3], "reasons": [],
                          "report": {"verdict": ("pass", "warn", "fail")[n % 3], "reasons": [], "suites": []}})
            suites.append({**real_cs, "comparison_id": comparison_id})
        conn.execute(schema.comparisons.insert(), heads)
        conn.execute(schema.comparison_suites.insert(), suites)


def page_times(url: str) -> list[tuple[str, float]]:
    """Median seconds of each dashboard page over the seeded history."""
    from starlette.testclient import TestClient

    from harness.dashboard import create_app
    from harness.store import RunFilter, Store

    with Store(url) as store:
        runs = store.run_page(RunFilter(), 1, 50)
        big = max(store.runs(RunFilter(suite_id="s", model="fake:echo")) or runs.items, key=lambda r: r.started_at)
        comparison = store.latest_comparison_id()  # the real one (the synthetic ones are older)
    paths = ["/", "/runs", f"/runs?page={runs.pages}", "/runs?model=fake:model-1", "/comparisons",
             f"/comparisons?page={-(-DASHBOARD_COMPARISONS // 50)}", "/trends", "/trends?page=20",
             "/case?suite=s&case=c1", f"/run/{big.run_id[:12]}"]
    if comparison is not None:
        paths.append(f"/comparison/{comparison[:12]}")
    out = []
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        for path in paths:
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(3):
                start = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - start)
            out.append((path, statistics.median(times)))
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Scale of run, compare and the dashboard on the fake backend.")
    parser.add_argument("sizes", nargs="*", type=int, help="suite sizes (default 1000 10000 100000)")
    parser.add_argument("--only", choices=("compare",), help="time only this leg at each size")
    parser.add_argument("--keep", type=Path, help="write the projects here (kept) instead of a temporary folder")
    parser.add_argument("--repeat", type=int, default=3, help="compare runs per size and mode (median reported)")
    args = parser.parse_args(argv)
    args.sizes = sorted(args.sizes) or [1_000, 10_000, 100_000]
    return args


def compare_rows(root: Path, n: int, repeat: int) -> list[tuple[str, str, str]]:
    """``compare`` of the two recorded runs, with ``--no-store`` and storing (runs and comparison) into a
    fresh history database; each ``repeat`` times, alternating, judged on the median (a shared machine's
    speed varies by a fifth between identical runs)."""
    times: dict[str, list[tuple[float, int]]] = {"--no-store": [], "stored": []}
    for _ in range(repeat):
        for label, store in (("--no-store", ["--no-store"]), ("stored", ["--db", "sqlite:///.harness/bench-cmp.db"])):
            for stale in (root / ".harness").glob("bench-cmp.db*"):
                stale.unlink()
            times[label].append(timed(root, "compare", "s.yaml", "-b", "replay:base.jsonl",
                                      "-c", "replay:cand.jsonl", *store, "--json", "cmp.json"))
    rows = []
    for label, runs in times.items():
        walls = sorted(wall for wall, _ in runs)
        median = statistics.median(walls)
        spread = f" ({walls[0]:.1f}-{walls[-1]:.1f}, {repeat} runs)" if repeat > 1 else ""
        rows.append((f"compare {n:,} cases (replay, {label})",
                     f"{median:.1f} s{spread}, peak RSS {max(rss for _, rss in runs)} MB",
                     "ok" if median < GOALS["compare_s"] else f"over {GOALS['compare_s']:.0f} s"))
    return rows


def all_legs(tmp: str, sizes: list[int], repeat: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    previous: tuple[int, float] | None = None
    dash_url = f"sqlite:///{tmp}/dashboard.db"
    for n in sizes:
        root = Path(tmp) / f"p{n}"
        write_project(root, n)
        run_s, rss = timed(root, "run", "s.yaml", "-m", "fake:echo", "--json", "run.json", "--db", dash_url
                           if n == sizes[0] else "sqlite:///.harness/history.db")
        rows.append((f"run {n:,} cases", f"{run_s:.1f} s, peak RSS {rss} MB",
                     "ok" if rss < GOALS["run_rss_mb"] else f"over {GOALS['run_rss_mb']} MB"))
        if previous:
            slope = (run_s - previous[1]) / (n - previous[0]) * 1000
            rows.append((f"  per-case overhead {previous[0]:,}→{n:,}", f"{slope:.3f} ms/case", ""))
        rows += compare_rows(root, n, repeat)
        previous = (n, run_s)
    timed(Path(tmp) / f"p{sizes[0]}", "compare", "s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
          "--db", dash_url)
    start = time.perf_counter()
    seed_history(dash_url, DASHBOARD_RUNS, DASHBOARD_COMPARISONS)
    rows.append((f"seed {DASHBOARD_RUNS:,} runs, {DASHBOARD_COMPARISONS:,} comparisons",
                 f"{time.perf_counter() - start:.1f} s", ""))
    for path, seconds in page_times(dash_url):
        rows.append((f"dashboard GET {path}", f"{seconds * 1000:.0f} ms",
                     "ok" if seconds < GOALS["page_s"] else "over 1 s"))
    return rows


def only_compare(tmp: str, sizes: list[int], repeat: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for n in sizes:
        root = Path(tmp) / f"p{n}"
        if not (root / "s.yaml").exists():
            write_project(root, n)
        rows += compare_rows(root, n, repeat)
    return rows


def main() -> None:
    sys.path.insert(0, str(ROOT))  # this checkout's harness, as in the child processes
    args = parse_args(sys.argv[1:])
    legs = only_compare if args.only == "compare" else all_legs
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        rows = legs(str(args.keep), args.sizes, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = legs(tmp, args.sizes, args.repeat)
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':{width}s}  {'result':46s}  goal")
    for name, value, verdict in rows:
        print(f"{name:{width}s}  {value:46s}  {verdict}")


if __name__ == "__main__":
    main()

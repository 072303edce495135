"""The dashboard's comparison page (``/comparison/ID``) for comparisons of many cases.

For each size a synthetic comparison report is built (``tests.store_support.make_large_report_data``:
one suite; about 1 case in 50 a regression, a few improvements, flaky and stable failures, the rest
stable passes; one short output per side), stored with ``Store.save_comparison`` in a fresh SQLite
database, and its first, middle and last page (100 cases each) requested through the app four times:
the median of the last three, and the first alone (``first``: a fresh app's first page also compiles
the templates); after a request over ``SLOW_S`` the other pages are skipped. Also timed: storing it,
and reading the whole report back (``Store.comparison_report``, what ``harness report`` does).
Run: ``python benchmarks/bench_comparison_page.py [SIZES...]`` (default 1000 10000 100000).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 1.0
SLOW_S = 20.0   # a page slower than this is timed once
PER_PAGE = 100  # the page's default


def get_times(client: Any, path: str) -> tuple[float, float, int]:
    """Seconds of the first request of ``path``, the median of the next three (the first again when it
    was slower than ``SLOW_S``) and the size of the page in bytes."""
    times, size = [], 0
    for _ in range(4):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, path
        size = len(response.content)
        if times[0] > SLOW_S:
            return times[0], times[0], size
    return times[0], statistics.median(times[1:]), size


def measure(cases: int, tmp: str) -> list[tuple[str, float, float | None]]:
    from harness.analysis.report import ComparisonReport
    from harness.store import Store
    from tests.store_support import make_large_report_data

    url = f"sqlite:///{tmp}/cmp{cases}.db"
    report = ComparisonReport.model_validate(make_large_report_data(cases))
    rows = []
    with Store(url) as store:
        start = time.perf_counter()
        cid = store.save_comparison(report, baseline_run_ids={}, candidate_run_ids={})
        rows.append((f"store a {cases:,}-case comparison", time.perf_counter() - start, None))
        start = time.perf_counter()
        store.comparison_report(cid)
        rows.append(("  read the whole report back", time.perf_counter() - start, None))
    return rows + page_rows(url, f"/comparison/{cid}", "/comparison/ID", cases)


def page_rows(url: str, path: str, label: str, cases: int) -> list[tuple[str, float, float | None]]:
    """The first, middle and last page (``PER_PAGE`` cases each) of ``path`` in the dashboard over ``url``:
    each one's median and first seconds; after a page slower than ``SLOW_S`` the others are skipped (a
    page that shows every case costs the same whichever page is asked for)."""
    from starlette.testclient import TestClient

    from harness.dashboard import create_app

    pages, rows = -(-cases // PER_PAGE), []
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        for number in sorted({1, (pages + 1) // 2, pages}):
            first, median, size = get_times(client, f"{path}?page={number}")
            rows.append((f"  GET {label}?page={number} (of {pages:,}), {size / 1e6:.1f} MB", median, first))
            if first > SLOW_S:
                break
    return rows


def main() -> None:
    print_table(measure_sizes(measure, sys.argv[1:]))


def measure_sizes(measure_one: Any, argv: list[str]) -> list[tuple[str, float, float | None]]:
    """``measure_one(cases, folder)`` at each size of ``argv`` (default 1,000, 10,000 and 100,000)."""
    sys.path.insert(0, str(ROOT))  # this checkout's harness and tests
    sizes = sorted(int(a) for a in argv) or [1_000, 10_000, 100_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows += measure_one(n, tmp)
    return rows


def print_table(rows: list[tuple[str, float, float | None]]) -> None:
    """One line per measure: its seconds (the median), the first request's, and the page goal."""
    width = max(len(name) for name, _, _ in rows)
    print(f"{'measure':{width}s}  {'seconds':>8s}  {'first':>7s}  goal (pages: < {GOAL_S:.0f} s)")
    for name, seconds, first in rows:
        slowest = max(seconds, first or 0.0)
        verdict = ("ok" if slowest < GOAL_S else f"over {GOAL_S:.0f} s") if first is not None else ""
        print(f"{name:{width}s}  {seconds:8.3f}  {'' if first is None else f'{first:7.3f}':>7s}  {verdict}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

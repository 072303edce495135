"""The dashboard's comparison page (``/comparison/ID``) for comparisons of many cases.

For each size a synthetic comparison report is built (one suite; about 1 case in 50 a regression, a few
improvements, flaky and stable failures, the rest stable passes; one short output per side), stored with
``Store.save_comparison`` in a fresh SQLite database, and its first, middle and last page requested
through the app (once to warm up, then timed: median of 3). Also timed: storing it, and reading the
whole report back (``Store.comparison_report``, what ``harness report`` does).
Run: ``python benchmarks/bench_comparison_page.py [SIZES...]`` (default 1000 10000 100000).
"""

from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 1.0
PER_PAGE = 100  # the page's default


def report_data(cases: int) -> dict[str, Any]:
    """A one-suite comparison report (docs/report-format.md) of ``cases`` cases."""
    from tests.store_support import make_report_data

    data = make_report_data("big")
    suite = data["suites"][0]
    regression, stable = suite["cases"][0], suite["cases"][1]
    out = []
    for i in range(cases):
        case = copy.deepcopy(regression if i % 50 == 7 else stable)
        case["id"] = f"case-{i:06d}"
        case["status"] = _status(i)
        case["baseline_outputs"] = [f"The answer to question {i} is {i + 1}, worked out step by step."]
        case["candidate_outputs"] = [f"The answer to question {i} is {i + 1 + (i % 50 == 7)}, worked out step by step."]
        out.append(case)
    suite["cases"] = out
    return data


def _status(i: int) -> str:
    if i % 50 == 7:
        return "regression"
    for every, status in ((97, "improvement"), (31, "flaky"), (13, "stable_fail")):
        if i % every == 3:
            return status
    return "stable_pass"


def median_get(client: Any, path: str) -> float:
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(3):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(cases: int, tmp: str) -> list[tuple[str, float]]:
    from starlette.testclient import TestClient

    from harness.analysis.report import ComparisonReport
    from harness.dashboard import create_app
    from harness.store import Store

    url = f"sqlite:///{tmp}/cmp{cases}.db"
    report = ComparisonReport.model_validate(report_data(cases))
    rows = []
    with Store(url) as store:
        start = time.perf_counter()
        cid = store.save_comparison(report, baseline_run_ids={}, candidate_run_ids={})
        rows.append((f"store a {cases:,}-case comparison", time.perf_counter() - start))
        start = time.perf_counter()
        store.comparison_report(cid)
        rows.append(("  read the whole report back", time.perf_counter() - start))
    pages = -(-cases // PER_PAGE)
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        for number in sorted({1, (pages + 1) // 2, pages}):
            rows.append((f"  GET /comparison/ID?page={number} (of {pages:,})",
                         median_get(client, f"/comparison/{cid}?page={number}")))
    return rows


def main() -> None:
    sys.path.insert(0, str(ROOT))  # this checkout's harness and tests
    sizes = sorted(int(a) for a in sys.argv[1:]) or [1_000, 10_000, 100_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows += measure(n, tmp)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure':{width}s}  {'seconds':>8s}  goal (pages)")
    for name, seconds in rows:
        verdict = ("ok" if seconds < GOAL_S else f"over {GOAL_S:.0f} s") if "GET" in name else ""
        print(f"{name:{width}s}  {seconds:8.3f}  {verdict}")


if __name__ == "__main__":
    main()

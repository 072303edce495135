"""The dashboard's run page (``/run/ID``) for runs of many cases.

For each size a synthetic run is built (``tests.store_support.make_large_run``: one suite, one sample
per case with two checks and a short output; about 1 case in 50 failing and 1 in 211 with no scorable
sample), stored with ``Store.save_run`` in a fresh SQLite database, and its first, middle and last page
(100 cases each) requested through the app four times: the median of the last three, and the first
alone (``first``: a fresh app's first page also compiles the templates). A request that takes over
``SLOW_S`` is not repeated, and then the other pages are skipped (a page that shows every case costs
the same whichever page is asked for). Also timed: storing the run, and reading it back whole
(``Store.run_report``, what ``harness report RUN_ID`` does).
Run: ``python benchmarks/bench_run_page.py [SIZES...]`` (default 1000 10000 100000).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def measure(cases: int, tmp: str) -> list[tuple[str, float, float | None]]:
    from bench_comparison_page import page_rows

    from harness.store import Store
    from tests.store_support import make_large_run

    url = f"sqlite:///{tmp}/run{cases}.db"
    run = make_large_run(cases)
    rows: list[tuple[str, float, float | None]] = []
    with Store(url) as store:
        start = time.perf_counter()
        run_id = store.save_run(run)
        rows.append((f"store a {cases:,}-case run", time.perf_counter() - start, None))
        start = time.perf_counter()
        store.run_report(run_id)
        rows.append(("  read the whole run back", time.perf_counter() - start, None))
    return rows + page_rows(url, f"/run/{run_id}", "/run/ID", cases)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_comparison_page import measure_sizes, print_table

    print_table(measure_sizes(measure, sys.argv[1:]))


if __name__ == "__main__":
    main()

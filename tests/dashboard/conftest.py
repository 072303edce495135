"""Fixtures for the dashboard tests: a store filled with realistic runs and comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.store import Store
from tests.store_support import make_report, make_run

XSS_MODEL = 'evil<script>alert("model")</script>'


@dataclass(frozen=True)
class FilledStore:
    url: str
    comparison_id: str
    xss_comparison_id: str
    baseline_run_id: str
    candidate_run_id: str
    complete_capitals_runs: int


def fill_store(url: str) -> FilledStore:
    """Two suites, two models, a week of runs, one incomplete run, two comparisons."""
    with Store(url) as store:
        patterns = ["ppp", "ppp", "pfp", "ppp", "fff", "ppf"]
        ids = [store.save_run(make_run(day=10 + i, pattern=p,
                                       model="smollm2" if i % 2 else "smollm2-int8"))
               for i, p in enumerate(patterns)]
        crashed = make_run(day=17)
        store.add_case_results(store.start_run(crashed.info), crashed.cases[:1])  # stays incomplete
        for day in (12, 14):
            store.save_run(make_run("arith", day=day, prompt_version="v2", xss_case=True))
        store.save_run(make_run("arith", day=15, model=XSS_MODEL, xss_case=True))
        base, cand = ids[-2], ids[-1]
        first = store.save_comparison(make_report(verdict="warn"),
                                      baseline_run_ids={"capitals": ids[0]},
                                      candidate_run_ids={"capitals": ids[1]})
        latest = store.save_comparison(make_report(xss=True),
                                       baseline_run_ids={"capitals": base},
                                       candidate_run_ids={"capitals": cand})
    assert first != latest
    return FilledStore(url, latest, latest, base, cand, len(patterns))


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> FilledStore:
    path: Path = tmp_path_factory.mktemp("dash") / "history.db"
    return fill_store(f"sqlite:///{path}")

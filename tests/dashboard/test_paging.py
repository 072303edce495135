"""Paged listings: every run and comparison on exactly one page, next/previous links that keep the
filters, counts, clamped page numbers, and id prefixes that still open a run or comparison."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from harness.dashboard import create_app
from harness.store import RunFilter, Store
from tests.store_support import make_report, make_run

RUNS = 23  # not a multiple of the page size; several runs share a start time


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], list[str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('paging') / 'h.db'}"
    with Store(url) as store:
        runs = [store.save_run(make_run("capitals" if i % 3 else "math", day=1 + i // 4,
                                        model="a" if i % 2 else "b")) for i in range(RUNS)]
        comparisons = [store.save_comparison(make_report("capitals" if i % 2 else "math"),
                                             baseline_run_ids={}, candidate_run_ids={}) for i in range(7)]
    return url, runs, comparisons


def _walk(client: TestClient, start: str, rel: str, row: str) -> tuple[list[str], list[str]]:
    """Ids on each page following ``rel`` links from ``start``; and the URLs visited."""
    ids: list[str] = []
    urls, url = [], start
    while url:
        html = client.get(url).text
        urls.append(url)
        ids += re.findall(rf'data-{row}="([0-9a-f]+)"', html)
        found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
        assert len(urls) <= 50, "pager loops"
    return ids, urls


def test_store_pages_cover_every_run_once_in_order(paged: tuple[str, list[str], list[str]]) -> None:
    url, runs, _ = paged
    with Store(url) as store:
        seen, number = [], 1
        while True:
            page = store.run_page(RunFilter(), number, 5)
            assert page.total == RUNS and page.pages == 5
            seen += [r.run_id for r in page.items]
            if not page.has_next:
                break
            number += 1
        assert sorted(seen) == sorted(runs) and len(seen) == RUNS
        keys = [(r.started_at, r.run_id) for r in (store.run(i) for i in seen) if r]
        assert keys == sorted(keys, reverse=True)  # newest first, ties broken by id
        assert store.run_page(RunFilter(), 99, 5).number == 5  # clamped to the last page
        last = store.run_page(RunFilter(), 5, 5)
        assert (last.first, last.last, len(last.items)) == (21, 23, 3)
        only_math = store.run_page(RunFilter(suite_id="math"), 1, 100)
        assert only_math.total == len(range(0, RUNS, 3)) and {r.suite_id for r in only_math.items} == {"math"}


def test_runs_page_links_cover_every_run_and_keep_filters(paged: tuple[str, list[str], list[str]]) -> None:
    url, runs, _ = paged
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        forward, urls = _walk(client, "/runs?per_page=5", "next", "run")
        assert len(forward) == RUNS and set(forward) == set(runs)
        assert "runs 21–23 of 23 · page 5 of 5" in client.get(urls[-1]).text
        backward, _ = _walk(client, urls[-1], "prev", "run")
        assert backward == [i for u in reversed(urls) for i in re.findall(
            r'data-run="([0-9a-f]+)"', client.get(u).text)]
        first = client.get("/runs?per_page=5").text
        assert 'rel="prev"' not in first and 'rel="last" href="/runs?per_page=5&amp;page=5"' in first
        filtered, furls = _walk(client, "/runs?suite=capitals&per_page=4", "next", "run")
        assert all("suite=capitals" in u for u in furls)
        with Store(url) as store:
            assert set(filtered) == {r.run_id for r in store.runs(RunFilter(suite_id="capitals"))}
        assert client.get("/runs?page=abc&per_page=0").status_code == 200  # bad numbers: defaults


def test_comparisons_pages_and_id_prefixes(paged: tuple[str, list[str], list[str]]) -> None:
    url, runs, comparisons = paged
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        listed, urls = _walk(client, "/comparisons?per_page=3", "next", "comparison")
        assert sorted(listed) == sorted(comparisons) and len(urls) == 3
        math, _ = _walk(client, "/comparisons?suite=math&per_page=2", "next", "comparison")
        assert len(math) == 4
        assert client.get(f"/run/{runs[0][:8]}").status_code == 200
        assert client.get(f"/comparison/{comparisons[0][:8]}").status_code == 200
        overview = client.get("/").text
        assert 'class="all-runs" href="/runs?"' in overview and f"All {RUNS} matching runs" in overview


def test_trends_are_paged_by_complete_runs(paged: tuple[str, list[str], list[str]], tmp_path: Path) -> None:
    url, _, _ = paged
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        first = client.get("/trends?per_page=10&by=model").text
        assert "complete runs 1–10 of 23 · page 1 of 3" in first
        assert first.count('class="point"') >= 10
        last = client.get("/trends?per_page=10&page=3").text
        assert "complete runs 21–23 of 23" in last and 'rel="next"' not in last


def test_case_history_is_paged(paged: tuple[str, list[str], list[str]]) -> None:
    url, runs, _ = paged
    capitals = [i for n, i in enumerate(runs) if n % 3]
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        seen, urls = [], ["/case?suite=capitals&case=france&per_page=4"]
        while urls[-1]:
            html = client.get(urls[-1]).text
            assert f"runs: {len(capitals)}" in html
            seen += re.findall(r'class="history-row".*?href="/run/([0-9a-f]+)"', html)
            found = re.search(r'rel="next" href="([^"]+)"', html)
            urls.append(found.group(1).replace("&amp;", "&") if found else "")
        assert sorted(seen) == sorted(capitals) and len(urls) - 1 == -(-len(capitals) // 4)

"""The run page shows one page of cases: those that did not pass first, every case on exactly one page,
the pass rate and the counts of failed and passed cases over all cases; the page's cases read the same
as in the whole run (``harness report``); runs stored by an older schema version page the same; the
static HTML report still shows every case."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from harness.reporters.html import render_run_html
from harness.reporters.run_report import run_report
from harness.store import Store, schema, writes
from harness.store.engine import make_engine
from harness.store.migrations import LATEST, MIGRATIONS, migrate
from harness.types import RunResult
from tests.dashboard.paging_support import assert_paged, dashboard_client
from tests.store_support import XSS_OUTPUT, large_run_outcome, make_case, make_info, make_large_run

CASES = 2_530  # 26 pages of 100, the last one with 30 cases
XSS_CASE = "case-002000"  # a passing case: on a late page
ROW = re.compile(r'<tr class="case-row"><td><a href="/case\?suite=big&amp;case=([\w-]+)">[\w-]+</a></td>'
                 r'<td><span class="badge (\w+)">')


def _run(cases: int) -> RunResult:
    run = make_large_run(cases)
    hostile = make_case(XSS_CASE, [True], outputs=[XSS_OUTPUT], tags=["<b>tag</b>"])
    return replace(run, cases=tuple(hostile if c.case_id == XSS_CASE else c for c in run.cases))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('run') / 'h.db'}"
    with Store(url) as store:
        run_id = store.save_run(_run(CASES))
    return url, run_id


def _expected_order(cases: int) -> list[tuple[str, str]]:
    """(case id, badge) of every case in page order: failed (or errored) cases first, then by case id."""
    keys = [(f"case-{i:06d}", "pass" if large_run_outcome(i) == "pass" else "fail") for i in range(cases)]
    return sorted(keys, key=lambda k: (k[1] == "pass", k[0]))


def _rows(html: str) -> list[tuple[str, str]]:
    """(case id, badge) of the case table's rows, in order."""
    return ROW.findall(html)


def _counts(html: str) -> list[str]:
    return re.sub(r"<[^>]+>|&nbsp;", " ", html.split('class="status-counts">')[1].split("</p>")[0]).split()


def test_first_page_has_failures_first_and_counts_over_all_cases(big: tuple[str, str]) -> None:
    url, run_id = big
    with dashboard_client(url) as client:
        html = client.get(f"/run/{run_id}").text
    rows = _rows(html)
    assert len(rows) == 100 and html.count('class="case-row"') == 100  # only the page's cases are rendered
    assert html.count('<details class="case"') == 100 and html.count('<rect class="bar') == 100
    assert rows == _expected_order(CASES)[:100]
    outcomes = [large_run_outcome(i) for i in range(CASES)]
    failed, errored, passed = (outcomes.count(o) for o in ("fail", "error", "pass"))
    assert failed + errored < 100 and [b for _, b in rows[:failed + errored]] == ["fail"] * (failed + errored)
    assert rows[failed + errored][1] == "pass"  # every failure on page 1, then the passes begin
    assert _counts(html) == ["2,530", "cases:", "fail", str(failed + errored), "pass", f"{passed:,}"]
    assert f'<th>Pass rate</th><td class="num">{100 * passed / (passed + failed):.0f}%</td>' in html
    assert "TimeoutError: backend did not answer" in html  # an errored case's error, on page 1
    assert "cases 1–100 of 2,530 · page 1 of 26" in html and "Pass rate per case, cases on this page" in html
    assert 'rel="prev"' not in html and f'rel="last" href="/run/{run_id}?page=26"' in html
    assert ">next ›</a>" in html and "older ›" not in html


def test_pages_cover_every_case_once_and_clamp_like_the_other_listings(big: tuple[str, str]) -> None:
    url, run_id = big

    def counts_on_every_page(html: str) -> None:
        assert _counts(html)[:2] == ["2,530", "cases:"]

    with dashboard_client(url) as client:
        assert_paged(client, f"/run/{run_id}", _rows, _expected_order(CASES), counts_on_every_page)
        assert client.get(f"/run/{run_id[:10]}?page=2").status_code == 200  # id prefixes still work
        assert client.get("/run/" + "0" * 32 + "?page=2").status_code == 404


def test_model_output_is_escaped_on_its_page(big: tuple[str, str]) -> None:
    url, run_id = big
    number = _expected_order(CASES).index((XSS_CASE, "pass")) // 100 + 1
    with dashboard_client(url) as client:
        html = client.get(f"/run/{run_id}?page={number}").text
    assert f'data-case="{XSS_CASE}"' in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<span class="tag">&lt;b&gt;tag&lt;/b&gt;</span>' in html
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html


def test_the_pages_hold_the_cases_of_the_whole_run(big: tuple[str, str]) -> None:
    url, run_id = big
    with Store(url) as store:
        whole = store.run_report(run_id).suites[0]
        pages = [store.run_case_page(run_id, n, 500) for n in range(1, 7)]
    assert all(p is not None for p in pages)
    paged = [case for p in pages if p is not None for case in p.report.suites[0].cases]
    assert sorted(paged, key=lambda c: c.id) == sorted(whole.cases, key=lambda c: c.id)  # same reports
    assert {p.counts["fail"] for p in pages if p} == {sum(not c.passed for c in whole.cases)}
    first = pages[0]
    assert first is not None and first.report.suites[0].model_dump(exclude={"cases"}) == \
        whole.model_dump(exclude={"cases"})  # pass rate, status, times: the run's


def test_case_order_and_counts_on_sqlite_and_postgresql(store_url: str) -> None:
    ids = ["b-2", "B-1", "a_3", "A.4", "_z", "Zeta", "a-10", "a-9"]  # collations disagree on these
    cases = tuple(make_case(case_id, [i % 3 != 0]) for i, case_id in enumerate(ids))
    with Store(store_url) as store:
        run_id = store.save_run(RunResult(info=make_info("mixed"), cases=cases))
        empty = store.save_run(RunResult(info=make_info("empty"), cases=()))
        pages = [store.run_case_page(run_id, n, 3) for n in (1, 2, 3, 4)]
        nothing = store.run_case_page(empty)
        assert store.run_case_page("0" * 32) is None
    failed = sorted(c.case_id for c in cases if not c.samples[0].passed)
    passed = sorted(c.case_id for c in cases if c.samples[0].passed)
    assert [p.cases.items for p in pages if p] == [tuple((failed + passed)[:3]), tuple((failed + passed)[3:6]),
                                                   tuple((failed + passed)[6:]), tuple((failed + passed)[6:])]
    assert all(p and p.counts == {"fail": 3, "pass": 5} and p.cases.total == 8 for p in pages)
    assert nothing is not None and nothing.cases.total == 0 and nothing.report.suites[0].cases == []
    with dashboard_client(store_url) as client:
        html = client.get(f"/run/{empty}").text
    assert "no cases" in html and "0 cases:" in html


def test_a_run_stored_at_schema_version_1_reads_after_the_upgrade(tmp_path: Path) -> None:
    url, run = f"sqlite:///{tmp_path / 'h.db'}", _run(250)
    engine = make_engine(url)
    with engine.begin() as conn:  # what the first harness with a history database wrote
        schema.schema_version.create(conn)
        MIGRATIONS[0](conn)
        conn.execute(schema.schema_version.insert().values(version=1, applied_at="then"))
        conn.execute(schema.runs.insert().values(writes.run_row("r" * 32, run.info, "run")))
        conn.execute(schema.run_cases.insert(), [writes.case_rows("r" * 32, c) for c in run.cases])
        conn.execute(schema.results.insert(), [row for c in run.cases for row in writes.result_rows("r" * 32, c)])
    assert migrate(engine) == LATEST - 1
    engine.dispose()
    with Store(url) as store:
        whole, page = store.run_report("r" * 32), store.run_case_page("r" * 32, 2, 200)
    assert len(whole.suites[0].cases) == 250
    assert page is not None and page.cases.items == tuple(c for c, _ in _expected_order(250)[200:])
    with dashboard_client(url) as client:
        html = client.get("/run/" + "r" * 32 + "?page=3").text
    assert _rows(html) == _expected_order(250)[200:] and "cases 201–250 of 250 · page 3 of 3" in html


def test_static_html_report_still_shows_every_case() -> None:
    html = render_run_html(run_report([make_large_run(130)]))
    assert html.count('class="case-row"') == 130 and 'class="pager"' not in html
    assert "cases on this page" not in html and "130 cases:" in html

"""The comparison page shows one page of cases: regressions and other changes first, every case on
exactly one page, counts and statistics over all cases; comparisons stored before migration 6 (whole
report in ``comparisons.report``) page the same; the static HTML report still shows every case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.analysis.report import ComparisonReport
from harness.reporters.html import render_comparison_html
from harness.store import Store, schema, writes
from harness.store.comparison_cases import STATUS_ORDER
from harness.store.engine import make_engine
from harness.store.migrations import LATEST, MIGRATIONS, migrate
from tests.dashboard.paging_support import assert_paged, dashboard_client
from tests.store_support import XSS_OUTPUT, large_report_status, make_large_report_data, make_report_data

CASES = 2_530  # 26 pages of 100, the last one with 30 cases
XSS_CASE = "case-002000"  # a stable pass: on a late page


def _data(cases: int) -> dict:
    data = make_large_report_data(cases)
    for case in data["suites"][0]["cases"]:
        if case["id"] == XSS_CASE:
            case["candidate_outputs"] = [XSS_OUTPUT]
    return data


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cmp') / 'h.db'}"
    with Store(url) as store:
        cid = store.save_comparison(ComparisonReport.model_validate(_data(CASES)),
                                    baseline_run_ids={}, candidate_run_ids={})
    return url, cid


def _expected_order(cases: int) -> list[tuple[str, str]]:
    """(status, case id) of every case in page order: status as reports list them, then case id."""
    keys = [(large_report_status(i), f"case-{i:06d}") for i in range(cases)]
    return sorted(keys, key=lambda k: (STATUS_ORDER.index(k[0]), k[1]))


def _rows(html: str) -> list[tuple[str, str]]:
    """(status, case id) of the case table's rows, in order."""
    return [(status, case) for status, case in re.findall(
        r'<tr class="case-row" data-status="(\w+)"><td><a href="/case\?suite=big&amp;case=([\w-]+)"', html)]


def test_first_page_has_regressions_first_and_counts_over_all_cases(big: tuple[str, str]) -> None:
    url, cid = big
    with dashboard_client(url) as client:
        html = client.get(f"/comparison/{cid}").text
    rows = _rows(html)
    assert len(rows) == 100 and html.count('class="case-row"') == 100  # only the page's cases are rendered
    assert html.count('<details class="case"') == 100 and html.count('<rect class="bar') == 200
    assert rows == _expected_order(CASES)[:100]
    regressions = sum(large_report_status(i) == "regression" for i in range(CASES))
    assert [s for s, _ in rows[:regressions]] == ["regression"] * regressions  # every regression on page 1
    counts = dict(re.findall(r'<span class="badge (\w+)">[\w ]+</span> (\d+)', html.split('class="status-counts"')[1]
                             .split("</p>")[0]))
    assert counts == {s: str(sum(large_report_status(i) == s for i in range(CASES))) for s in STATUS_ORDER}
    assert "cases 1–100 of 2,530 · page 1 of 26" in html and "cases on this page" in html
    assert 'rel="prev"' not in html and f'rel="last" href="/comparison/{cid}?page=26"' in html
    assert ">next ›</a>" in html and "older ›" not in html  # cases are not newest first
    assert 'id="verdict"' in html and "critical regression" in html  # the report's verdict and reasons


def test_pages_cover_every_case_once_and_clamp_like_the_other_listings(big: tuple[str, str]) -> None:
    url, cid = big
    with dashboard_client(url) as client:
        last = assert_paged(client, f"/comparison/{cid}", _rows, _expected_order(CASES))
        assert "status-counts" in last and 'id="verdict"' in last  # the summary on every page


def test_model_output_is_escaped_on_its_page(big: tuple[str, str]) -> None:
    url, cid = big
    number = _expected_order(CASES).index(("stable_pass", XSS_CASE)) // 100 + 1
    with dashboard_client(url) as client:
        html = client.get(f"/comparison/{cid}?page={number}").text
    assert f'data-case="{XSS_CASE}"' in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<img" not in html.lower()


def _two_suites() -> ComparisonReport:
    """Suite ``big`` of 150 cases listed out of id order, then suite ``calm`` of stable passes only."""
    big = make_large_report_data(150)
    big["suites"][0]["cases"].reverse()
    calm = make_large_report_data(120, "calm")["suites"][0]
    calm["cases"] = [{**c, "id": f"calm-{c['id']}", "status": "stable_pass"} for c in calm["cases"]]
    big["suites"].append(calm)
    return ComparisonReport.model_validate(big)


def _store_as_before_migration_6(url: str, cid: str, report: ComparisonReport) -> None:
    """What an older harness wrote: the whole report in ``comparisons.report``, no case JSON in the rows."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(schema.comparisons.update().where(schema.comparisons.c.comparison_id == cid)
                     .values(report=report.model_dump(mode="json")))
        conn.execute(schema.comparison_cases.update().where(schema.comparison_cases.c.comparison_id == cid)
                     .values(report=None, ordinal=None))
    engine.dispose()


def test_several_suites_and_comparisons_stored_before_migration_6(store_url: str) -> None:
    report = _two_suites()
    with Store(store_url) as store:
        new = store.save_comparison(report, baseline_run_ids={}, candidate_run_ids={})
        old = store.save_comparison(report, baseline_run_ids={}, candidate_run_ids={})
    _store_as_before_migration_6(store_url, old, report)
    with Store(store_url) as store:
        for cid in (new, old):
            whole = store.comparison_report(cid)
            assert whole is not None and whole.model_dump() == report.model_dump()  # case order kept
            first, last = store.comparison_case_page(cid, 1, 100), store.comparison_case_page(cid, 3, 100)
            assert first is not None and last is not None
            assert first.status_counts["calm"] == {"stable_pass": 120} and first.cases.total == 270
            assert [k[0] for k in first.cases.items[:3]] == ["big"] * 3
            assert first.report.suites[0].cases[0].status == "regression"
            assert [len(s.cases) for s in last.report.suites] == [0, 70]  # big's stable passes, then calm's
            assert (last.cases.number, last.cases.first, last.cases.last) == (3, 201, 270)
            assert first.report.suites[0].stats == report.suites[0].stats
        assert store.comparison_case_page("0" * 32, 1, 100) is None
    with dashboard_client(store_url) as client:
        pages = [client.get(f"/comparison/{cid}?page=3").text for cid in (new, old)]
    tables = [re.findall(r'<tr class="case-row".*?</tr>|class="status-counts">.*?</p>', p, re.DOTALL)
              for p in pages]
    assert tables[0] == tables[1] and len(tables[0]) == 2 + 70
    assert "None of this suite's 150 cases is on this page." in pages[0]


def test_static_html_report_still_shows_every_case() -> None:
    html = render_comparison_html(ComparisonReport.model_validate(make_large_report_data(130)))
    assert html.count('class="case-row"') == 130 and 'class="pager"' not in html
    small = render_comparison_html(ComparisonReport.model_validate(make_report_data()))
    assert "cases on this page" not in small


def test_a_comparison_stored_at_schema_version_5_reads_after_the_upgrade(tmp_path: Path) -> None:
    url, report = f"sqlite:///{tmp_path / 'h.db'}", _two_suites()
    engine = make_engine(url)
    head, case_rows = writes.comparison_rows("c" * 32, "2026-01-01T00:00:00+00:00", report)
    with engine.begin() as conn:  # what a harness of schema version 5 wrote
        schema.schema_version.create(conn)
        for number, step in enumerate(MIGRATIONS[:5], 1):
            step(conn)
            conn.execute(schema.schema_version.insert().values(version=number, applied_at="then"))
        conn.execute(schema.comparisons.insert().values({**head, "report": report.model_dump(mode="json")}))
        conn.execute(schema.comparison_cases.insert(),
                     [{k: v for k, v in row.items() if k not in ("ordinal", "report")} for row in case_rows])
    assert migrate(engine) == LATEST - 5
    engine.dispose()
    with Store(url) as store:
        whole, page = store.comparison_report("c" * 32), store.comparison_case_page("c" * 32, 2, 200)
    assert whole is not None and whole.model_dump() == report.model_dump()
    assert page is not None and len(page.cases.items) == 70 and page.cases.pages == 2

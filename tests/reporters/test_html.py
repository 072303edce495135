"""Static HTML reports: one self-contained file, every payload escaped, golden files."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest

from harness.analysis.report import ComparisonReport, RunReport, RunSuite
from harness.errors import UsageError
from harness.reporters.html import render_comparison_html, render_run_html, render_stored_html
from harness.store import Store
from tests.store_support import XSS_OUTPUT, make_report, make_report_data, make_run

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HARNESS_UPDATE_GOLDEN") == "1"
PAYLOADS = ("<script>", "<img src=x onerror", 'href="javascript:', "</textarea>")


def hostile_run_report() -> RunReport:
    hostile_check = {"type": "<b>type</b>", "pass_rate": 0.5, "mean": 0.25, "reason": "<script>why</script>"}
    return RunReport.model_validate(
        {"suites": [{"id": "s<script>alert('suite')</script>", "model": "<img src=x onerror=alert(2)>",
                     "prompt_version": "v1", "pass_rate": 0.5, "complete": True, "samples": 1,
                     "cases": [{"id": "c<b>1</b>", "pass_rate": 0.0, "passed": False, "n_samples": 1,
                                "n_passed": 0, "outputs": [XSS_OUTPUT], "tags": ["<i>tag</i>"],
                                "scores": {"<script>": hostile_check}},
                               {"id": "ok", "pass_rate": 1.0, "passed": True, "n_samples": 1, "n_passed": 1,
                                "outputs": ["fine"]}]}]})


def hostile_comparison() -> ComparisonReport:
    report = make_report_data(xss=True)
    report["reasons"].append("<script>alert('reason')</script>")
    suite = report["suites"][0]
    suite["baseline"]["model"] = "javascript:alert(3)"
    suite["cases"][0]["id"] = "france</textarea><script>alert(4)</script>"
    suite["cases"][0]["scores"]["<img src=x onerror=alert(5)>"] = suite["cases"][0]["scores"]["icontains paris"]
    suite["warnings"].append("<script>warning</script>")
    return ComparisonReport.model_validate(report)


def assert_self_contained_and_escaped(html: str) -> None:
    assert html.startswith("<!doctype html>")
    lowered = html.lower()
    for payload in PAYLOADS:
        assert payload not in lowered, payload
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered
    assert not re.search(r"(src|href)=\"?(https?:|//|javascript:)", lowered)
    assert "<link rel=\"stylesheet\"" not in lowered
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "default-src 'none'" in csp.group(1) and "unsafe-inline" not in csp.group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp.group(1)  # the inlined CSS is the one the CSP allows


def check_golden(name: str, html: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(html, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path} was missing and has been written; rerun")
    assert html == path.read_text(encoding="utf-8"), \
        f"{name} changed; review and rerun with HARNESS_UPDATE_GOLDEN=1"


def test_comparison_html_golden_and_escaped() -> None:
    html = render_comparison_html(hostile_comparison())
    assert_self_contained_and_escaped(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in html
    assert "france&lt;/textarea&gt;&lt;script&gt;alert(4)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;" in html
    check_golden("comparison.html", html)


def test_comparison_html_shows_the_views() -> None:
    html = render_comparison_html(make_report())
    assert 'class="verdict-banner fail"' in html and "critical regression" in html
    assert "<th>pass_rate_delta</th><td class=\"num\">-0.220</td>" in html
    assert "<th>ci95</th><td class=\"num\">[-0.510, 0.070]</td>" in html
    statuses = re.findall(r'class="case-row" data-status="(\w+)"', html)
    assert statuses == ["regression", "flaky", "stable_pass"]  # regressions first
    assert "<ins>city </ins>" in html  # japan: "capital city of Japan"
    assert "<del>Paris</del>" in html and "<ins>Lyon</ins>" in html
    assert html.count('class="chart bar-chart"') == 2  # deltas and drift
    assert 'data-value="-1.0"' in html  # france dropped from 100% to 0%
    assert "/case?" not in html and 'href="/' not in html  # no dashboard links in a file


def test_run_html_golden_and_escaped() -> None:
    html = render_run_html(hostile_run_report())
    assert_self_contained_and_escaped(html)
    assert "&lt;i&gt;tag&lt;/i&gt;" in html and "c&lt;b&gt;1&lt;/b&gt;" in html
    assert "&lt;script&gt;why&lt;/script&gt;" in html and "&lt;b&gt;type&lt;/b&gt;" in html
    check_golden("run.html", html)


def test_minimal_reports_render() -> None:
    assert "Verdict" in render_comparison_html(ComparisonReport(verdict="pass", reasons=[], suites=[]))
    one = render_run_html(RunReport(suites=[RunSuite(id="x", model="m", prompt_version="v1", pass_rate=None,
                                                     complete=True, samples=1, cases=[])]))
    assert "Run of suite x" in one


def test_stored_html_latest_comparison_run_and_prefix(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/h.db") as store:
        with pytest.raises(UsageError, match="no comparison yet"):
            render_stored_html(store, None)
        base = store.save_run(make_run(day=1))
        cand = store.save_run(make_run(day=2, xss_case=True, pattern="fff"))
        store.save_comparison(make_report(verdict="pass"), baseline_run_ids={}, candidate_run_ids={})
        latest = store.save_comparison(make_report(xss=True),
                                       baseline_run_ids={"capitals": base},
                                       candidate_run_ids={"capitals": cand})
        html = render_stored_html(store, None)
        assert latest[:12] in html and 'class="verdict-banner fail"' in html
        assert_self_contained_and_escaped(html)
        assert cand[:12] in html  # run ids of each side
        run_html = render_stored_html(store, cand[:10])
        assert "Run of suite capitals" in run_html and "xss&lt;script&gt;" in run_html
        assert_self_contained_and_escaped(run_html)
        with pytest.raises(UsageError, match="no run or comparison"):
            render_stored_html(store, "ffffffffffffffff")


def test_run_html_from_the_real_run_report() -> None:
    from harness.reporters.run_report import run_report
    from tests.store_support import make_case

    result = make_run(xss_case=True)
    crashed = make_run("math")
    crashed = type(crashed)(info=crashed.info, cases=(make_case("q1", [False, False, True]),),
                           complete=False)
    html = render_run_html(run_report([result, crashed]))
    assert_self_contained_and_escaped(html)
    assert html.count("<h1>Run of suite") == 2
    assert "This run did not finish" in html  # the incomplete one, never a pass
    assert "<th>mean</th>" in html and "<th>icontains paris</th>" in html  # per-check table
    assert "xss&lt;script&gt;" in html

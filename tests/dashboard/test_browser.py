"""The dashboard in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typing_extensions import Self

from harness.reporters.html import render_comparison_html
from tests.dashboard.conftest import FilledStore
from tests.store_support import make_report

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "s3cret-token-for-tests"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason=f"{CHROMIUM} missing: run scripts/install_browser.sh")]
playwright_sync = pytest.importorskip("playwright.sync_api",
                                      reason="playwright (python) is not installed")


class LiveServer:
    """The real app under uvicorn on 127.0.0.1 and a random port, in a thread."""

    def __init__(self, url: str, token: str | None = None) -> None:
        import uvicorn

        from harness.dashboard import create_app
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(create_app(url, token=token), log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def server(filled: FilledStore) -> Iterator[LiveServer]:
    with LiveServer(filled.url) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


class Watched:
    """A page with listeners for dialogs, CSP violations and page errors."""

    def __init__(self, browser: object) -> None:
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _on_dialog(self, dialog: object) -> None:
        self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def watched(browser: object) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.context.close()


def test_overview_lists_suites(server: LiveServer, watched: Watched) -> None:
    page = watched.page
    page.goto(server.base + "/")
    lines = page.locator("tr.suite-line")
    assert lines.count() == 2
    assert [lines.nth(i).get_attribute("data-suite") for i in range(2)] == ["arith", "capitals"]
    capitals = page.locator('tr.suite-line[data-suite="capitals"]')
    assert capitals.locator(".badge").first.inner_text() == "fail"
    assert capitals.locator("svg.sparkline circle").count() == 6
    watched.shot("overview")
    page.select_option('select[name="model"]', "smollm2")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"model=smollm2&"))
    page.wait_for_load_state("load")
    assert page.locator("tr.suite-line").count() == 1
    assert watched.console_errors == [] and watched.dialogs == []


def test_trend_chart_renders_data_points(server: LiveServer, watched: Watched,
                                         filled: FilledStore) -> None:
    page = watched.page
    page.goto(server.base + "/trends?suite=capitals")
    chart = page.locator('section.trend[data-suite="capitals"] figure.pass-rate svg')
    points = chart.locator("circle.point")
    assert points.count() == filled.complete_capitals_runs
    box = points.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    series = chart.locator("g.series")
    assert sorted(series.nth(i).get_attribute("data-series") for i in range(2)) == [
        "smollm2", "smollm2-int8"]
    drift = page.locator("figure.drift circle.point")
    assert drift.count() == 2
    watched.shot("trends")
    assert watched.console_errors == []


def test_clicking_a_comparison_shows_statuses_and_side_by_side(server: LiveServer,
                                                               watched: Watched) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.locator('tr.suite-line[data-suite="capitals"] a[href^="/comparison/"]').click()
    page.wait_for_url(re.compile(r"/comparison/[0-9a-f]{32}$"))
    rows = page.locator("tr.case-row")
    statuses = {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).get_attribute(
        "data-status") for i in range(rows.count())}
    assert statuses == {"france": "regression", "peru": "flaky", "japan": "stable_pass"}
    assert "critical regression" in page.locator("ul.reasons").inner_text()
    japan = page.locator('details.case[data-case="japan"]')
    japan.locator(":scope > summary").click()
    page.wait_for_selector('details.case[data-case="japan"][open]')
    sides = japan.locator(".side-by-side pre.output")
    assert sides.nth(0).inner_text() == "Tokyo is the capital of Japan."
    assert sides.nth(1).inner_text() == "Tokyo is the capital city of Japan."
    assert japan.locator("pre.candidate ins").inner_text().strip() == "city"
    watched.shot("comparison")
    assert watched.console_errors == []


def test_hostile_outputs_open_no_dialog_and_show_literally(server: LiveServer, watched: Watched,
                                                           filled: FilledStore) -> None:
    page = watched.page
    for path in (f"/comparison/{filled.xss_comparison_id}",
                 f"/run/{filled.candidate_run_id}", "/?suite=arith", "/trends?suite=arith",
                 "/case?suite=capitals&case=xss%3Cscript%3E"):
        page.goto(server.base + path)
        page.wait_for_load_state("load")
        assert page.locator("script").count() == 0, path
        assert page.locator("img").count() == 0, path
        assert page.locator('a[href^="javascript:"]').count() == 0, path
    page.goto(server.base + f"/comparison/{filled.xss_comparison_id}")
    candidate = page.locator('details.case[data-case="france"] pre.candidate').inner_text()
    assert "<script>alert(1)</script>" in candidate
    assert "<img src=x onerror=alert(1)>" in candidate
    assert '<a href="javascript:alert(1)">click</a> </textarea>' in candidate
    watched.shot("comparison-hostile")
    page.goto(server.base + "/?suite=arith")
    assert 'evil<script>alert("model")</script>' in page.locator("tr.suite-line").inner_text()
    assert watched.dialogs == []


def test_case_history_shows_flips_and_flaky_periods(server: LiveServer, watched: Watched) -> None:
    page = watched.page
    page.goto(server.base + "/")
    page.goto(server.base + "/case?suite=capitals&case=france")
    outcomes = page.locator("tr.history-row")
    assert [outcomes.nth(i).get_attribute("data-outcome") for i in range(outcomes.count())] == [
        "pass", "pass", "flaky", "pass", "fail", "flaky", "incomplete"]
    assert page.locator("span.flip").count() == 2  # the summary and the pass->fail run
    assert page.locator("p.summary").inner_text() == "runs: 7 · flips: 1 · flaky periods: 2"
    assert page.locator("svg.timeline rect").count() == 7
    watched.shot("case")


def test_static_report_file_opens_without_dialogs(tmp_path: Path, watched: Watched) -> None:
    report_file = tmp_path / "report.html"
    report_file.write_text(render_comparison_html(make_report(xss=True)), encoding="utf-8")
    page = watched.page
    page.goto(report_file.as_uri())
    assert "<script>alert(1)</script>" in page.locator("pre.candidate").first.inner_text()
    background = page.locator(".badge.fail").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(185, 28, 28)"  # the inlined stylesheet applied under its CSP hash
    watched.shot("static-report")
    assert watched.dialogs == [] and watched.console_errors == []


def test_token_moves_from_url_to_cookie(filled: FilledStore, watched: Watched) -> None:
    with LiveServer(filled.url, token=TOKEN) as live:
        page = watched.page
        response = page.goto(live.base + "/trends")
        assert response is not None and response.status == 401
        page.goto(live.base + f"/trends?suite=capitals&token={TOKEN}")
        assert page.url == live.base + "/trends?suite=capitals"
        assert page.locator("section.trend").count() == 1
        response = page.goto(live.base + "/")
        assert response is not None and response.status == 200
        cookie = next(c for c in watched.context.cookies() if c["name"] == "harness_token")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

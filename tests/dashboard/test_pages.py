"""Every dashboard page over a store on SQLite and on PostgreSQL, with hostile data escaped."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from harness.dashboard import create_app
from tests.dashboard.conftest import XSS_MODEL, fill_store

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
            '<a href="javascript:alert(1)">', "</textarea>", "<script>alert(\"model\")")


def _assert_escaped(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: raw {payload!r}"
    assert "<script" not in html.lower() and "<img" not in html.lower(), where
    assert not re.search(r"href=[\"']?javascript:", html, re.IGNORECASE), where


def test_all_pages_render_and_escape(store_url: str) -> None:
    filled = fill_store(store_url)
    with TestClient(create_app(store_url), base_url="http://127.0.0.1:8765") as client:
        overview = client.get("/").text
        assert overview.count('class="suite-line"') == 2
        assert "&lt;script&gt;alert(&#34;model&#34;)&lt;/script&gt;" in overview
        trends = client.get("/trends?suite=capitals&by=prompt").text
        assert 'data-series="v1"' in trends and trends.count('class="point"') >= 6
        comparison = client.get(f"/comparison/{filled.xss_comparison_id}").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comparison
        assert 'data-status="regression"' in comparison
        assert f'href="/run/{filled.candidate_run_id}"' in comparison
        run = client.get(f"/run/{filled.candidate_run_id}").text
        assert "Run of suite capitals" in run
        hostile_case = client.get("/case", params={"suite": "arith", "case": "xss<script>"}).text
        assert "Case xss&lt;script&gt;" in hostile_case
        for name, html in (("overview", overview), ("trends", trends), ("comparison", comparison),
                           ("run", run), ("case", hostile_case),
                           ("arith", client.get("/?suite=arith").text),
                           ("comparisons", client.get("/comparisons").text)):
            _assert_escaped(html, name)


def test_filters_and_missing_things(store_url: str) -> None:
    fill_store(store_url)
    with TestClient(create_app(store_url), base_url="http://127.0.0.1:8765") as client:
        assert client.get("/?tag=geo").text.count('class="suite-line"') == 2
        assert client.get("/?model=smollm2").text.count('class="suite-line"') == 1
        assert client.get("/?since=2026-11-16").text.count('class="suite-line"') == 1
        assert client.get("/?until=2026-11-09").text.count('class="suite-line"') == 0
        assert client.get(f"/?model={XSS_MODEL}").text.count('class="suite-line"') == 1
        assert client.get("/comparison/" + "0" * 32).status_code == 404
        assert client.get("/run/nope").status_code == 404
        assert client.get("/case?suite=capitals&case=nope").status_code == 404


@pytest.mark.parametrize("by", ["model", "prompt"])
def test_trends_series(by: str, tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    fill_store(url)
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        html = client.get(f"/trends?by={by}").text
    expected = ('data-series="smollm2"', 'data-series="smollm2-int8"') if by == "model" \
        else ('data-series="v1"', 'data-series="v2"')
    assert all(e in html for e in expected)

"""Trend charts: readable time labels for same-day runs, one colour per model on every chart,
markers where the suite's version changed."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from starlette.testclient import TestClient

from harness.dashboard.app import create_app
from harness.dashboard.charts import line_chart, time_labels
from harness.store import Store
from tests.store_support import make_run


def test_time_labels() -> None:
    assert time_labels(["2026-11-20T10:00:00", "2026-11-21T09:00:00"]) == ["2026-11-20", "2026-11-21"]
    assert time_labels(["2026-11-20T10:00:00", "2026-11-20T14:30:00"]) == ["10:00", "14:30"]
    assert time_labels(["2026-11-20T10:00:00", "2026-11-20T14:30:00", "2026-11-22T08:00:00"]) == [
        "11-20 10:00", "11-20 14:30", "11-22 08:00"]


def test_a_series_keeps_its_colour_when_another_is_missing() -> None:
    colors = {"a-model": "#111111", "b-model": "#222222"}
    both = line_chart("x", {"a-model": [("t1", 0.5)], "b-model": [("t1", 0.6)]}, colors=colors)
    only_b = line_chart("y", {"b-model": [("t1", 0.6)]}, colors=colors)
    assert {s.name: s.color for s in both.series}["b-model"] == only_b.series[0].color == "#222222"


def test_trends_page_colours_and_version_markers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with Store(url) as store:
        for hour, (model, suite_hash) in enumerate([("m-one", "sha256:aaaaaaa1"), ("m-two", "sha256:aaaaaaa1"),
                                                    ("m-two", "sha256:bbbbbbb2")]):
            run = make_run("capitals", model=model, day=20)
            info = replace(run.info, suite_hash=suite_hash, started_at=f"2026-11-20T1{hour}:00:00+00:00")
            store.save_run(replace(run, info=info))
        only_two = make_run("arith", model="m-two", day=21)
        store.save_run(only_two)
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        html = client.get("/trends").text
    colours = re.findall(r'data-series="([^"]+)">\s*<path class="line" d="[^"]*" stroke="([^"]+)"', html)
    by_model: dict[str, set[str]] = {}
    for model, colour in colours:
        by_model.setdefault(model, set()).add(colour)
    assert set(by_model) == {"m-one", "m-two"} and all(len(c) == 1 for c in by_model.values())
    assert by_model["m-one"] != by_model["m-two"]
    assert html.count('class="version-change"') == 2  # pass rate and flaky share of capitals
    assert "suite v2 (bbbbbbb)" in html
    assert ">10:00<" in html and ">12:00<" in html  # same-day runs labelled by time of day

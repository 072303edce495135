"""Pure pieces of the dashboard: differences, chart geometry, case timelines, report views."""

from __future__ import annotations

from harness.dashboard.charts import bar_chart, line_chart, sparkline
from harness.dashboard.diff import pair_outputs, side_by_side
from harness.dashboard.report_view import comparison_view, fmt
from harness.dashboard.timeline import build_timeline
from harness.store.rows import CaseRunRow
from tests.store_support import make_report


def _text(segments, kind=None) -> str:
    return "".join(s.text for s in segments if kind is None or s.kind == kind)


def test_side_by_side_marks_removed_and_added_words() -> None:
    d = side_by_side("The capital is Paris.", "The capital is Lyon, France.")
    assert _text(d.baseline) == "The capital is Paris." and _text(d.candidate) == \
        "The capital is Lyon, France."
    assert _text(d.baseline, "del") == "Paris"
    assert _text(d.candidate, "ins") == "Lyon, France"
    assert not d.identical and side_by_side("same", "same").identical


def test_side_by_side_keeps_whitespace_and_handles_huge_outputs() -> None:
    d = side_by_side("a\n  b", "a\n  c")
    assert _text(d.baseline) == "a\n  b" and _text(d.candidate, "ins") == "c"
    big_a, big_b = "word " * 3000, "word " * 2999 + "other "
    huge = side_by_side(big_a, big_b)  # falls back to lines: still exact text
    assert _text(huge.baseline) == big_a and _text(huge.candidate) == big_b


def test_pair_outputs_pads_missing_samples() -> None:
    pairs = pair_outputs(["a", "b"], ["a"])
    assert len(pairs) == 2 and pairs[0].identical and _text(pairs[1].candidate) == ""


def test_line_chart_geometry() -> None:
    chart = line_chart("Pass rate", {"m1": [("2026-11-02", 1.0), ("2026-11-01", 0.0)],
                                     "m2": [("2026-11-03", 0.5)]})
    m1, m2 = chart.series
    assert [p.value for p in m1.points] == [0.0, 1.0]  # sorted by time
    assert m1.points[0].y > m1.points[1].y  # higher values are drawn higher (smaller y)
    assert m1.points[0].x < m1.points[1].x < m2.points[0].x
    assert m1.path.startswith("M") and " L" in m1.path and m1.color != m2.color
    assert not chart.empty and line_chart("x", {}).empty


def test_bar_chart_around_zero() -> None:
    chart = bar_chart("d", [("a", -1.0), ("b", 0.5), ("a-very-long-case-identifier", 0.0)])
    neg, pos, zero = chart.bars
    assert neg.negative and not pos.negative and neg.y == chart.zero_y
    assert pos.y + pos.height == chart.zero_y and zero.height == 0
    assert neg.height == 2 * pos.height
    assert zero.name == "a-very-long-case-identifier" and chart.show_names  # room enough
    crowded = bar_chart("d", [(f"case-number-{i}", 0.1) for i in range(20)])
    assert crowded.show_names and crowded.bars[0].name == "cas…"
    assert crowded.bars[0].label == "case-number-0: 10%"
    assert not bar_chart("d", [(str(i), 0.1) for i in range(40)]).show_names


def test_sparkline_points() -> None:
    s = sparkline([("t1", 1.0), ("t2", 0.0)])
    assert len(s.points) == 2 and s.points[0].y < s.points[1].y


def _row(day: int, rate: float, consistent: bool = True, status: str = "complete") -> CaseRunRow:
    return CaseRunRow(run_id=f"r{day}", started_at=f"2026-11-{day:02d}", run_status=status,
                      model_spec="m", prompt_version="v1", case_id="c", tags=[], n=3,
                      n_passed=round(rate * 3), pass_rate=rate, consistent=consistent)


def test_timeline_flips_and_flaky_periods() -> None:
    rows = [_row(1, 1.0), _row(2, 0.0), _row(3, 2 / 3, False), _row(4, 1 / 3, False),
            _row(5, 0.0), _row(6, 1.0, status="incomplete"), _row(7, 1.0), _row(8, 1.0, False)]
    tl = build_timeline(rows)
    assert [p.outcome for p in tl.points] == ["pass", "fail", "flaky", "flaky", "fail",
                                               "incomplete", "pass", "flaky"]
    assert [p.flipped for p in tl.points] == [False, True, False, False, False, False, True,
                                              False]
    assert tl.flips == 2
    assert [(f.start, f.end, f.runs) for f in tl.flaky_periods] == [
        ("2026-11-03", "2026-11-04", 2), ("2026-11-08", "2026-11-08", 1)]


def test_comparison_view_orders_cases_and_formats_stats() -> None:
    view = comparison_view(make_report())
    [suite] = view.suites
    assert [c.status for c in suite.cases] == ["regression", "flaky", "stable_pass"]
    assert {r.key: r.text for r in suite.stats}["ci95"] == "[-0.510, 0.070]"
    assert suite.status_counts == (("regression", 1), ("flaky", 1), ("stable_pass", 1))
    assert suite.drift_chart is not None and len(suite.delta_chart.bars) == 3
    assert fmt(None) == "—" and fmt(True) == "yes" and fmt({"a": 0.5}) == "a: 0.500"

"""The HTML report and the store fed by the real comparison code (compare -> gate -> report)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis import gate
from harness.analysis.compare import compare_runs
from harness.analysis.report_build import build_report
from harness.reporters.html import render_comparison_html, render_stored_html
from harness.reporters.run_report import run_report
from harness.store import Store
from tests.comparison_helpers import case, counts, run


def _runs() -> tuple:
    hostile = "Lyon <script>alert(1)</script> <img src=x onerror=alert(1)>"
    base = run([case("france", counts(3, 3), tags=["critical"]),
                case("japan", counts(2, 3), values=[0.9, 0.8, 0.1]),
                case("<b>x</b>", counts(0, 3), errors=["timeout", None, None])], model="fake:a")
    cand = run([case("france", counts(0, 3), outputs=[hostile] * 3, tags=["critical"]),
                case("japan", counts(3, 3), values=[0.9, 0.8, 0.7]),
                case("<b>x</b>", counts(1, 3))], model="fake:b")
    return base, cand


def test_real_report_renders_and_is_stored(tmp_path: Path) -> None:
    base, cand = _runs()
    comparison = compare_runs(base, cand, embedding_model=None)
    report = build_report([comparison], gate.evaluate(gate.DEFAULT_POLICY, [comparison]))
    html = render_comparison_html(report)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-status="regression"' in html and "Baseline error: sample 0: timeout" in html
    assert "min_detectable_drop" in html  # nested statistics are shown, flattened
    with Store(f"sqlite:///{tmp_path}/h.db") as store:
        ids = [store.save_run(r) for r in (base, cand)]
        store.save_comparison(report, baseline_run_ids={"s": ids[0]},
                              candidate_run_ids={"s": ids[1]})
        stored = render_stored_html(store, None)
        assert ids[1][:12] in stored and "&lt;b&gt;x&lt;/b&gt;" in stored
        fields = {"id", "pass_rate", "passed", "n_samples", "n_passed", "outputs", "errors", "scores"}
        stored_cases = {c.id: c.model_dump(include=fields) for c in store.run_report(ids[0]).suites[0].cases}
        fresh_cases = {c.id: c.model_dump(include=fields) for c in run_report([base]).suites[0].cases}
        assert stored_cases == fresh_cases  # one definition of pass rate, passed and per-check summary

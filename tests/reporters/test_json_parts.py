"""--json in parts (json_parts) is byte for byte model_dump_json(indent=2), whatever the chunk size."""

from __future__ import annotations

import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.gate import DEFAULT_POLICY, evaluate
from harness.analysis.report import CalibrationReport, ComparisonReport
from harness.analysis.report_build import build_report
from harness.reporters.json_parts import json_parts
from harness.reporters.run_report import run_report
from tests.comparison_helpers import case, counts, run

HOSTILE = 'quote " backslash \\ newline \n tab \t nul \0 unicode \u2028 é \U0001f600'


def _runs():
    base = run([case("a", counts(3, 3), values=[0.5, 1.0, 0.2], paraphrases=[[True, False, True]], tags=["t"]),
                case("b", counts(1, 3), outputs=[HOSTILE, "x", "y"], errors=[None, "boom", None]),
                case("c", counts(0, 3)), case("d", counts(2, 3))])
    cand = run([case("a", counts(1, 3), values=[0.1, 0.9, 0.3], paraphrases=[[False, False, True]]),
                case("b", counts(2, 3)), case("c", counts(3, 3)), case("e", counts(3, 3))], model="fake:b")
    return base, cand


def _comparison() -> ComparisonReport:
    base, cand = _runs()
    one = compare_runs(base, cand, embedding_model=None)
    empty = compare_runs(run([], suite="empty"), run([], suite="empty", model="fake:b"), embedding_model=None)
    return build_report([one, empty, one], evaluate(DEFAULT_POLICY, [one, empty, one]))


def _reports() -> list:
    comparison = _comparison()
    base, _ = _runs()
    return [comparison, comparison.model_copy(update={"comparison_id": "c0ffee", "suites": []}),
            comparison.model_copy(update={"new_cases": [run_report([base]).suites[0]]}),
            run_report([base, run([], suite="empty")]), CalibrationReport([])]


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_parts_join_to_the_whole_dump(chunk: int) -> None:
    for report in _reports():
        parts = list(json_parts(report, chunk=chunk))
        assert b"".join(parts) == report.model_dump_json(indent=2).encode()


def test_a_report_with_cases_comes_in_parts_of_at_most_a_chunk_of_cases() -> None:
    report = _comparison()
    parts = list(json_parts(report, chunk=2))
    whole = report.model_dump_json(indent=2).encode()
    assert len(parts) > 10 and max(map(len, parts)) < len(whole) / 3

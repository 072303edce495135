"""Markdown (PR comment) and JUnit reporters: golden files, escaping, size cap.

Regenerate goldens with HARNESS_UPDATE_GOLDEN=1, review the diff, commit.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.gate import DEFAULT_POLICY, evaluate
from harness.analysis.report_build import build_report
from harness.reporters.junit import comparison_junit, run_junit
from harness.reporters.markdown import MAX_BYTES, comparison_markdown, run_markdown
from harness.reporters.run_report import run_report
from tests.comparison_helpers import case, counts, run

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HARNESS_UPDATE_GOLDEN") == "1"
HOSTILE = ("<script>alert(1)</script> <img src=x onerror=alert(1)> "
           "[click](javascript:alert(1)) </textarea> | pipe `tick`")


def _report() -> dict:
    base = run([case("paris", counts(1, 1), outputs=["Paris"], tags=["critical"]),
                case("rome", counts(1, 1), outputs=["Rome"]),
                case("<b>id</b>", counts(0, 1), outputs=["no"])], model="smollm2")
    cand = run([case("paris", counts(0, 1), outputs=[HOSTILE], tags=["critical"]),
                case("rome", counts(1, 1), outputs=["Rome."]),
                case("<b>id</b>", counts(1, 1), outputs=["yes"])], model="smollm2-int8")
    comparison = compare_runs(base, cand, embedding_model=None)
    return build_report([comparison], evaluate(DEFAULT_POLICY, [comparison]))


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; review and rerun with HARNESS_UPDATE_GOLDEN=1"


def test_comparison_markdown_golden_and_escaped() -> None:
    text = comparison_markdown(_report())
    _golden("comparison.md", text)
    assert text.index("FAIL") < text.index("### ")  # verdict first
    assert "<details>" in text and "paris" in text
    for raw in ("<script>", "<img", "</textarea>", "<b>id</b>"):
        assert raw not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_comparison_junit_golden_regression_is_a_failure() -> None:
    xml = comparison_junit(_report())
    _golden("comparison.junit.xml", xml)
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "3"
    failed = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert failed == ["paris"]


def test_run_reporters_mark_failing_cases() -> None:
    result = run([case("a", counts(1, 1)), case("b", counts(0, 1), outputs=[HOSTILE])])
    report = run_report([result])
    suite = ET.fromstring(run_junit(report).split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    markdown = run_markdown(report)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown


@pytest.mark.parametrize("n", [400])
def test_markdown_stays_under_60_kb(n: int) -> None:
    long = "x" * 5000
    base = run([case(f"c{i}", counts(1, 1), outputs=[long]) for i in range(n)])
    cand = run([case(f"c{i}", counts(0, 1), outputs=[long]) for i in range(n)])
    comparison = compare_runs(base, cand, embedding_model=None)
    text = comparison_markdown(build_report([comparison], evaluate(DEFAULT_POLICY, [comparison])))
    assert len(text.encode()) < MAX_BYTES
    assert "left out to keep this comment under 60 KB" in text

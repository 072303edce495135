"""JUnit XML: one testcase per case; a regression is a failure, an error is an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (model output may contain them)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


# What a case became in JUnit: None (passed), or ("failure" | "error", message, body).
Outcome = tuple[str, str, str] | None


def comparison_junit(report: dict[str, Any]) -> str:
    """A regression is a failure; an infrastructure error on either side is an error."""
    return _junit("harness compare", report, _comparison_outcome, lambda c: f"status: {c.get('status')}")


def run_junit(report: dict[str, Any]) -> str:
    """A failing case is a failure (message: its failing checks); an infrastructure error is an error."""
    return _junit("harness run", report, _run_outcome, None)


def _comparison_outcome(case: dict[str, Any]) -> Outcome:
    errors = _case_errors(case)
    if errors:
        return "error", "infrastructure error", "\n".join(errors)
    if case.get("status") != "regression":
        return None
    message = (f"regression: pass rate {case.get('baseline_pass_rate', 0):.2f} -> "
               f"{case.get('candidate_pass_rate', 0):.2f}")
    body = ("baseline:\n" + (case.get("baseline_outputs") or [""])[0]
            + "\n\ncandidate:\n" + (case.get("candidate_outputs") or [""])[0])
    return "failure", message, body


def _run_outcome(case: dict[str, Any]) -> Outcome:
    errors = _case_errors(case)
    if errors:
        return "error", "infrastructure error", "\n".join(errors)
    if case.get("passed"):
        return None
    reasons = [f"{n}: {s.get('reason', '')}" for n, s in case.get("scores", {}).items() if s.get("pass_rate", 1) < 1]
    return "failure", "; ".join(reasons)[:500], (case.get("outputs") or [""])[0]


def _junit(title: str, report: dict[str, Any], outcome_of: Callable[[dict[str, Any]], Outcome],
           system_out: Callable[[dict[str, Any]], str] | None) -> str:
    root = ET.Element("testsuites", name=title)
    for suite in report.get("suites", []):
        cases = suite.get("cases", [])
        node = ET.SubElement(root, "testsuite", name=_clean(str(suite.get("id"))), tests=str(len(cases)))
        counts = {"failure": 0, "error": 0}
        for case in cases:
            item = ET.SubElement(node, "testcase", classname=_clean(str(suite.get("id"))),
                                 name=_clean(str(case.get("id"))))
            outcome = outcome_of(case)
            if outcome is not None:
                kind, message, body = outcome
                counts[kind] += 1
                ET.SubElement(item, kind, message=_clean(message)).text = _clean(body)
            if system_out is not None:
                ET.SubElement(item, "system-out").text = _clean(system_out(case))
        node.set("failures", str(counts["failure"]))
        node.set("errors", str(counts["error"]))
    return _serialize(root)


def _case_errors(case: dict[str, Any]) -> list[str]:
    errors = case.get("errors") or []
    if isinstance(errors, dict):
        return [f"{side}: {e}" for side, items in errors.items() for e in items]
    return [str(e) for e in errors]


def _serialize(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""JUnit XML: one testcase per case; a regression is a failure, an error is an error."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (model output may contain them)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


def comparison_junit(report: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="harness compare")
    for suite in report.get("suites", []):
        cases = suite.get("cases", [])
        node = ET.SubElement(root, "testsuite", name=_clean(str(suite.get("id"))), tests=str(len(cases)))
        failures = errors = 0
        for case in cases:
            item = ET.SubElement(node, "testcase", classname=_clean(str(suite.get("id"))),
                                 name=_clean(str(case.get("id"))))
            case_errors = _case_errors(case)
            if case_errors:
                errors += 1
                ET.SubElement(item, "error", message="infrastructure error").text = _clean("\n".join(case_errors))
            elif case.get("status") == "regression":
                failures += 1
                failure = ET.SubElement(item, "failure", message=(
                    f"regression: pass rate {case.get('baseline_pass_rate', 0):.2f} -> "
                    f"{case.get('candidate_pass_rate', 0):.2f}"))
                failure.text = _clean("baseline:\n" + (case.get("baseline_outputs") or [""])[0]
                                      + "\n\ncandidate:\n" + (case.get("candidate_outputs") or [""])[0])
            ET.SubElement(item, "system-out").text = _clean(f"status: {case.get('status')}")
        node.set("failures", str(failures))
        node.set("errors", str(errors))
    return _serialize(root)


def _case_errors(case: dict[str, Any]) -> list[str]:
    errors = case.get("errors") or []
    if isinstance(errors, dict):
        return [f"{side}: {e}" for side, items in errors.items() for e in items]
    return [str(e) for e in errors]


def run_junit(report: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="harness run")
    for suite in report.get("suites", []):
        cases = suite.get("cases", [])
        node = ET.SubElement(root, "testsuite", name=_clean(str(suite.get("id"))), tests=str(len(cases)))
        failures = errors = 0
        for case in cases:
            item = ET.SubElement(node, "testcase", classname=_clean(str(suite.get("id"))),
                                 name=_clean(str(case.get("id"))))
            if case.get("errors"):
                errors += 1
                ET.SubElement(item, "error", message="infrastructure error").text = _clean(
                    "\n".join(map(str, case["errors"])))
            elif not case.get("passed"):
                failures += 1
                reasons = [f"{n}: {s.get('reason', '')}" for n, s in case.get("scores", {}).items()
                           if s.get("pass_rate", 1) < 1]
                ET.SubElement(item, "failure", message=_clean("; ".join(reasons)[:500])).text = _clean(
                    (case.get("outputs") or [""])[0])
        node.set("failures", str(failures))
        node.set("errors", str(errors))
    return _serialize(root)


def _serialize(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

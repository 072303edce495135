"""JUnit XML: one testcase per case; a regression is a failure, an error is an error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from xml.etree import ElementTree as ET

from harness.analysis.report import CaseReport, ComparisonReport, RunCase, RunReport
from harness.types import CaseStatus


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (model output may contain them)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


# What a case became in JUnit: None (passed), or ("failure" | "error", message, body).
Outcome = tuple[str, str, str] | None
CaseT = TypeVar("CaseT", CaseReport, RunCase)


def comparison_junit(report: ComparisonReport) -> str:
    """A regression is a failure; an infrastructure error on either side is an error."""
    suites = [(s.id, s.cases) for s in report.suites]
    properties = {s.id: [("verdict", s.verdict or "")] + ([("decision", s.decision.summary())] if s.decision else [])
                  + ([("sampling", s.sampling.text)] if s.sampling else []) for s in report.suites}
    return _junit("harness compare", suites, _comparison_outcome, _case_line, properties)


def _case_line(case: CaseReport) -> str:
    """A compared case's status, and under --samples auto its rounds (and whether it stopped early)."""
    rounds = case.samples.rounds
    if rounds is None:
        return f"status: {case.status}"
    early = ", stopped early" if case.samples.stopped_early else ""
    return f"status: {case.status}; {rounds} round(s){early}"


def run_junit(report: RunReport) -> str:
    """A failing case is a failure (message: its failing checks); an infrastructure error is an error."""
    return _junit("harness run", [(s.id, s.cases) for s in report.suites], _run_outcome, None)


def _first(outputs: Sequence[str]) -> str:
    return outputs[0] if outputs else ""


def _comparison_outcome(case: CaseReport) -> Outcome:
    errors = [f"baseline: {e}" for e in case.errors.baseline] + [f"candidate: {e}" for e in case.errors.candidate]
    if errors:
        return "error", "infrastructure error", "\n".join(errors)
    if case.status is not CaseStatus.REGRESSION:
        return None
    message = (f"regression: pass rate {case.baseline_pass_rate or 0:.2f} -> "
               f"{case.candidate_pass_rate or 0:.2f}")
    body = "baseline:\n" + _first(case.baseline_outputs) + "\n\ncandidate:\n" + _first(case.candidate_outputs)
    return "failure", message, body


def _run_outcome(case: RunCase) -> Outcome:
    if case.errors:
        return "error", "infrastructure error", "\n".join(case.errors)
    if case.passed:
        return None
    reasons = [f"{name}: {check.reason}" for name, check in case.scores.items() if check.pass_rate < 1]
    return "failure", "; ".join(reasons)[:500], _first(case.outputs)


def _junit(title: str, suites: Sequence[tuple[str, Sequence[CaseT]]], outcome_of: Callable[[CaseT], Outcome],
           system_out: Callable[[CaseT], str] | None,
           properties: dict[str, list[tuple[str, str]]] | None = None) -> str:
    root = ET.Element("testsuites", name=title)
    for suite_id, cases in suites:
        node = ET.SubElement(root, "testsuite", name=_clean(suite_id), tests=str(len(cases)))
        if properties and properties.get(suite_id):
            props = ET.SubElement(node, "properties")
            for name, value in properties[suite_id]:
                ET.SubElement(props, "property", name=name, value=_clean(value))
        counts = {"failure": 0, "error": 0}
        for case in cases:
            item = ET.SubElement(node, "testcase", classname=_clean(suite_id), name=_clean(case.id))
            outcome = outcome_of(case)
            if outcome is not None:
                kind, message, body = outcome
                counts[kind] += 1
                ET.SubElement(item, kind, message=_clean(message)).text = _clean(body)
            if system_out is not None:
                ET.SubElement(item, "system-out").text = _clean(system_out(case))
        node.set("failures", str(counts["failure"]))
        node.set("errors", str(counts["error"]))
    return serialize(root)


def serialize(root: ET.Element) -> str:
    """An XML document with declaration, indented."""
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

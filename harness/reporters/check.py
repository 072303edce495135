"""Reports of ``harness check``: the comparison reports plus what changed and the new cases."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from harness.analysis.report import CheckSection, ComparisonReport, RunReport, RunSuite
from harness.reporters.junit import comparison_junit, run_junit, serialize
from harness.reporters.markdown import MAX_BYTES, cell, comparison_markdown, pre

TITLE = "harness check"
MAX_ROWS = 50
_ICON = {"pass": "✅", "warn": "⚠️", "inconclusive": "❔", "fail": "❌"}


def check_markdown(report: ComparisonReport) -> str:
    """Markdown for the PR comment: verdict, base and model, what changed, then the comparison."""
    check = _section(report)
    if check.nothing_to_run:
        return _nothing_markdown(check)
    body = comparison_markdown(report, title=TITLE) if report.suites else _bare_header(report)
    title, _, rest = body.partition("\n")
    extra = _new_cases_markdown(report.new_cases or [])
    coverage = _coverage(report)
    text = "\n".join([title, "", _base_line(check), "", _changes_table(check), *coverage, rest.lstrip("\n")])
    if extra and len((text + extra).encode()) < MAX_BYTES - 200:
        text = text.rstrip("\n") + "\n" + extra
    return text.rstrip("\n") + "\n"


def _coverage(report: ComparisonReport) -> list[str]:
    """A note per suite compared on only some of its cases: its pass rates cover those cases only."""
    planned = {s.id: s for s in _section(report).suites}
    notes = []
    for suite in report.suites:
        plan = planned.get(suite.id)
        total = len(plan.run) + len(plan.unchanged) if plan is not None else len(suite.cases)
        if len(suite.cases) < total:
            notes.append(f"> <code>{cell(suite.id)}</code>: pass rates cover only the {len(suite.cases)} compared "
                         f"case(s) of {total}, not the whole suite.")
    return [*notes, ""] if notes else []


def _section(report: ComparisonReport) -> CheckSection:
    if report.check is None:
        raise ValueError("a check report needs its 'check' section")
    return report.check


def _bare_header(report: ComparisonReport) -> str:
    lines = [f"## {_ICON[report.verdict]} {TITLE}: **{report.verdict.upper()}**", ""]
    lines += [f"- {cell(r)}" for r in report.reasons] or ["- no gate rule was triggered"]
    return "\n".join(lines) + "\n"


def _nothing_markdown(check: CheckSection) -> str:
    lines = [f"## ✅ {TITLE}: nothing to run", "", _base_line(check), ""]
    if check.suites:
        lines += [_changes_table(check), "No case changed its rendered input, checks or reference.", ""]
    else:
        lines.append("No suite, prompt or data file used by a suite changed.")
    lines += [f"- prompt <code>{cell(prompt)}</code> changed but is used by no suite"
              for prompt in check.unused_prompts]
    return "\n".join(lines).rstrip("\n") + "\n"


def _base_line(check: CheckSection) -> str:
    base = check.base
    how = "" if base.how == "given" else f" ({cell(base.how)})"
    model = f" · model <code>{cell(check.model)}</code>" if check.model else ""
    return f"Base <code>{cell(base.ref)}</code>{how} at `{base.commit[:12]}`{model}"


def _changes_table(check: CheckSection) -> str:
    lines = ["| suite | change | run | unchanged | removed |", "|---|---|---|---|---|"]
    for s in check.suites[:MAX_ROWS]:
        where = s.path or s.base_path or ""
        if s.base_path and s.path and s.base_path != s.path:
            where = f"{s.base_path} → {s.path}"
        why = "; ".join(s.reasons) or s.status
        if s.status != "changed":
            why = f"**{s.status}**: {why}"
        lines.append(f"| <code>{cell(s.id)}</code> ({cell(where)}) | {cell(why)} | {len(s.run)} "
                     f"| {len(s.unchanged)} | {len(s.removed)} |")
    if len(check.suites) > MAX_ROWS:
        lines.append(f"| … {len(check.suites) - MAX_ROWS} more | | | | |")
    for prompt in check.unused_prompts:
        lines.append(f"| – | prompt {cell(prompt)} changed, used by no suite | 0 | | |")
    return "\n".join(lines) + "\n"


def _new_cases_markdown(runs: list[RunSuite]) -> str:
    if not runs:
        return ""
    out = ["", "### New cases (no baseline, not gated)", "", "| suite | case | passed |", "|---|---|---|"]
    failing = []
    for suite in runs:
        for case in suite.cases:
            out.append(f"| <code>{cell(suite.id)}</code> | <code>{cell(case.id)}</code> | "
                       f"{'✅' if case.passed else '❌'} {case.pass_rate or 0:.0%} |")
            if not case.passed:
                failing.append((suite, case))
    for suite, case in failing[:10]:
        out.append(f"\n<details><summary><code>{cell(suite.id)}::{cell(case.id)}</code> fails"
                   "</summary>\n")
        out.append(pre(case.outputs[0] if case.outputs else ""))
        out.append("</details>")
    return "\n".join(out) + "\n"


def check_junit(report: ComparisonReport) -> str:
    """The comparison's JUnit, plus one testsuite per suite of new cases (a failing new case fails)."""
    root = ET.fromstring(comparison_junit(report).split("\n", 1)[1])
    root.set("name", TITLE)
    if report.new_cases:
        extra = ET.fromstring(run_junit(RunReport(suites=report.new_cases)).split("\n", 1)[1])
        for node in extra:
            node.set("name", f"{node.get('name')} (new cases)")
            root.append(node)
    return serialize(root)

"""Markdown for a PR comment: verdict first, a table per suite, regressions in
collapsible blocks; model output always HTML-escaped inside <pre>; kept under 60 KB."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.analysis.report import CaseReport, ComparisonReport, RunReport, SuiteReport
from harness.analysis.report_judge import judge_line
from harness.types import CaseStatus

MAX_BYTES = 60_000
_ICON = {"pass": "✅", "warn": "⚠️", "inconclusive": "❔", "fail": "❌"}


_WJ = "\u2060"  # word joiner: invisible, and breaks @mentions and autolinks
_MD_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "&<>\\`*_[]!#|~"}
_MD_ENTITIES[0] = "&#65533;"  # NUL: U+FFFD, as HTML parsers do
_MD_BREAKS = (("@", "@" + _WJ), ("://", ":" + _WJ + "//"), ("www.", "www" + _WJ + "."))


def cell(text: Any) -> str:
    """Any value as inert Markdown text: for a table cell, a heading, a list item or inside HTML.

    One line; HTML, emphasis, links and images (``![t](url)``), code and table syntax become
    character references, and @mentions and bare URLs are broken by a word joiner. Use it for
    every id, name and message a report shows (model output goes through ``pre``)."""
    text = " ".join(str(text).split()).translate(_MD_ENTITIES)
    for plain, broken in _MD_BREAKS:
        text = text.replace(plain, broken)
    return text


def pre(text: str, limit: int = 1500) -> str:
    body = text if len(text) <= limit else text[:limit] + "\n…"
    body = html.escape(body).replace("\0", "&#65533;")
    for plain, broken in _MD_BREAKS:
        body = body.replace(plain, broken)
    return f"<pre>{body}</pre>"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _delta(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pp"


def comparison_markdown(report: ComparisonReport, title: str = "harness comparison") -> str:
    """The comparison as a PR comment: verdict and reasons, one table per suite, regressions."""
    head = [f"## {_ICON[report.verdict]} {cell(title)}: **{report.verdict.upper()}**", ""]
    head += [f"- {cell(r)}" for r in report.reasons] or ["- no gate rule was triggered"]
    head.append("")
    text = "\n".join(["\n".join(head), *(_suite_summary(s) for s in report.suites)])
    for block in (_suite_regressions(s) for s in report.suites):
        if block and len((text + block).encode()) < MAX_BYTES - 200:
            text += block
        elif block:
            text += "\n_More regression details were left out to keep this comment under 60 KB; see the HTML report._\n"
            break
    return text


def _suite_summary(suite: SuiteReport) -> str:
    stats, base, cand = suite.stats, suite.baseline, suite.candidate
    counts = Counter(case.status for case in suite.cases)
    mcnemar = float("nan") if stats.mcnemar_p is None else stats.mcnemar_p
    verdict = suite.verdict or ""
    lines = [f"### {_ICON.get(verdict, '')} <code>{cell(suite.id)}</code>: {verdict}", "",
             "| | baseline | candidate |", "|---|---|---|",
             f"| model | {cell(base.model)} | {cell(cand.model)} |",
             f"| prompt | {cell(base.prompt_version)} | {cell(cand.prompt_version)} |",
             f"| pass rate | {_pct(base.pass_rate)} | {_pct(cand.pass_rate)} |", "",
             (f"Δ pass rate **{_delta(stats.pass_rate_delta)}** "
              f"(95% CI {_delta(stats.ci95[0])} to {_delta(stats.ci95[1])}), McNemar exact p = "
              f"{mcnemar:.3g}"), "",
             " · ".join(f"{status.value.replace('_', ' ')}: **{counts[status]}**" for status in CaseStatus), ""]
    if suite.decision is not None:
        lines += [cell(suite.decision.summary()), ""]
    lines += [f"> ⚠️ {cell(warning)}" for warning in suite.warnings]
    if suite.judge is not None:
        lines.append(f"> ⚖️ {cell(judge_line(suite.judge))}")
    if suite.warnings or suite.judge is not None:
        lines.append("")
    return "\n".join(lines)


def _suite_regressions(suite: SuiteReport) -> str:
    regressions = [c for c in suite.cases if c.status is CaseStatus.REGRESSION]
    if not regressions:
        return ""
    out = [f"\n#### Regressions in <code>{cell(suite.id)}</code> ({len(regressions)})\n"]
    for case in regressions:
        tags = f" [{cell(', '.join(case.tags))}]" if case.tags else ""
        out.append(f"<details><summary><code>{cell(case.id)}</code>{tags}: "
                   f"{_pct(case.baseline_pass_rate)} → {_pct(case.candidate_pass_rate)}</summary>\n")
        out.append("**baseline**\n\n" + pre(_first(case.baseline_outputs)) + "\n")
        out.append("**candidate**\n\n" + pre(_first(case.candidate_outputs)) + "\n")
        failing = _failing_checks(case)
        if failing:
            out.append("failing checks: " + "; ".join(cell(f) for f in failing) + "\n")
        out.append("</details>\n")
    return "\n".join(out)


def _first(outputs: Sequence[str]) -> str:
    return outputs[0] if outputs else ""


def _failing_checks(case: CaseReport) -> list[str]:
    found = []
    for name, score in case.scores.items():
        rate = score.candidate_pass_rate
        if rate is not None and rate < 1:
            found.append(f"{name} ({rate:.0%} pass)")
    return found[:5]


def run_markdown(report: RunReport) -> str:
    """A run as Markdown: per suite its check pass rates and the failing cases' first outputs."""
    lines = ["## harness run", ""]
    for suite in report.suites:
        failing = [c for c in suite.cases if not c.passed]
        lines += [f"### <code>{cell(suite.id)}</code> on {cell(suite.model)}: {_pct(suite.pass_rate)}", "",
                  "| check | pass rate |", "|---|---|"]
        lines += [f"| {cell(n)} | {_pct(r)} |" for n, r in sorted(suite.check_pass_rates.items())]
        lines.append("")
        for case in failing[:20]:
            lines.append(f"<details><summary><code>{cell(case.id)}</code> failed</summary>\n")
            lines.append(pre(_first(case.outputs)))
            lines.append("</details>\n")
    text = "\n".join(lines)
    return text if len(text.encode()) < MAX_BYTES else text[: MAX_BYTES - 100] + "\n\n_(truncated)_\n"

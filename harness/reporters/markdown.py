"""Markdown for a PR comment: verdict first, a table per suite, regressions in
collapsible blocks; model output always HTML-escaped inside <pre>; kept under 60 KB."""

from __future__ import annotations

import html
from typing import Any

MAX_BYTES = 60_000
_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}
STATUS_ORDER = ("regression", "improvement", "flaky", "stable_fail", "stable_pass")


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


def comparison_markdown(report: dict[str, Any], title: str = "harness comparison") -> str:
    verdict = report.get("verdict", "fail")
    head = [f"## {_ICON.get(verdict, '')} {cell(title)}: **{verdict.upper()}**", ""]
    head += [f"- {cell(r)}" for r in report.get("reasons", [])] or ["- no gate rule was triggered"]
    head.append("")
    parts = ["\n".join(head)]
    for suite in report.get("suites", []):
        parts.append(_suite_summary(suite))
    details = [_suite_regressions(s) for s in report.get("suites", [])]
    text = "\n".join(parts)
    for block in details:
        if block and len((text + block).encode()) < MAX_BYTES - 200:
            text += block
        elif block:
            text += "\n_More regression details were left out to keep this comment under 60 KB; see the HTML report._\n"
            break
    return text


def _suite_summary(suite: dict[str, Any]) -> str:
    stats = suite.get("stats", {})
    base, cand = suite.get("baseline", {}), suite.get("candidate", {})
    counts = {s: 0 for s in STATUS_ORDER}
    for case in suite.get("cases", []):
        counts[case.get("status", "flaky")] = counts.get(case.get("status", "flaky"), 0) + 1
    ci = stats.get("ci95") or [None, None]
    icon = _ICON.get(suite.get("verdict", ""), "")
    lines = [f"### {icon} <code>{cell(suite.get('id'))}</code>: {cell(suite.get('verdict', ''))}", "",
             "| | baseline | candidate |", "|---|---|---|",
             f"| model | {cell(base.get('model', ''))} | {cell(cand.get('model', ''))} |",
             f"| prompt | {cell(base.get('prompt_version', ''))} | {cell(cand.get('prompt_version', ''))} |",
             f"| pass rate | {_pct(base.get('pass_rate'))} | {_pct(cand.get('pass_rate'))} |", "",
             (f"Δ pass rate **{_delta(stats.get('pass_rate_delta'))}** "
              f"(95% CI {_delta(ci[0])} to {_delta(ci[1])}), McNemar exact p = "
              f"{stats.get('mcnemar_p', float('nan')):.3g}"), "",
             " · ".join(f"{name.replace('_', ' ')}: **{n}**" for name, n in counts.items()), ""]
    for warning in suite.get("warnings", []):
        lines.append(f"> ⚠️ {cell(warning)}")
    if suite.get("warnings"):
        lines.append("")
    return "\n".join(lines)


def _suite_regressions(suite: dict[str, Any]) -> str:
    regressions = [c for c in suite.get("cases", []) if c.get("status") == "regression"]
    if not regressions:
        return ""
    out = [f"\n#### Regressions in <code>{cell(suite.get('id'))}</code> ({len(regressions)})\n"]
    for case in regressions:
        tags = f" [{cell(', '.join(case.get('tags', [])))}]" if case.get("tags") else ""
        out.append(f"<details><summary><code>{cell(case.get('id'))}</code>{tags}: "
                   f"{_pct(case.get('baseline_pass_rate'))} → {_pct(case.get('candidate_pass_rate'))}</summary>\n")
        out.append("**baseline**\n\n" + pre((case.get("baseline_outputs") or [""])[0]) + "\n")
        out.append("**candidate**\n\n" + pre((case.get("candidate_outputs") or [""])[0]) + "\n")
        failing = _failing_checks(case)
        if failing:
            out.append("failing checks: " + "; ".join(cell(f) for f in failing) + "\n")
        out.append("</details>\n")
    return "\n".join(out)


def _failing_checks(case: dict[str, Any]) -> list[str]:
    found = []
    for name, score in (case.get("scores") or {}).items():
        rate = score.get("candidate_pass_rate", score.get("pass_rate", 1)) if isinstance(score, dict) else 1
        if rate is not None and rate < 1:
            found.append(f"{name} ({rate:.0%} pass)")
    return found[:5]


def run_markdown(report: dict[str, Any]) -> str:
    lines = ["## harness run", ""]
    for suite in report.get("suites", []):
        cases = suite.get("cases", [])
        failing = [c for c in cases if not c.get("passed")]
        title = f"<code>{cell(suite.get('id'))}</code> on {cell(suite.get('model'))}"
        lines += [f"### {title}: {_pct(suite.get('pass_rate'))}", "",
                  "| check | pass rate |", "|---|---|"]
        lines += [f"| {cell(n)} | {_pct(r)} |" for n, r in sorted(suite.get("check_pass_rates", {}).items())]
        lines.append("")
        for case in failing[:20]:
            lines.append(f"<details><summary><code>{cell(case.get('id'))}</code> failed</summary>\n")
            lines.append(pre((case.get("outputs") or [""])[0]))
            lines.append("</details>\n")
    text = "\n".join(lines)
    return text if len(text.encode()) < MAX_BYTES else text[: MAX_BYTES - 100] + "\n\n_(truncated)_\n"

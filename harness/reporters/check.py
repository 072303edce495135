"""Reports of ``harness check``: the comparison reports plus what changed and the new cases."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from harness.reporters.junit import comparison_junit, run_junit
from harness.reporters.markdown import MAX_BYTES, cell, comparison_markdown, pre

TITLE = "harness check"
MAX_ROWS = 50
_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}


def check_markdown(report: dict[str, Any]) -> str:
    """Markdown for the PR comment: verdict, base and model, what changed, then the comparison."""
    check = report.get("check", {})
    if check.get("nothing_to_run"):
        return _nothing_markdown(check)
    body = comparison_markdown(report, title=TITLE) if report.get("suites") else _bare_header(report)
    title, _, rest = body.partition("\n")
    extra = _new_cases_markdown(report.get("new_cases", []))
    text = "\n".join([title, "", _base_line(check), "", _changes_table(check), rest.lstrip("\n")])
    if extra and len((text + extra).encode()) < MAX_BYTES - 200:
        text = text.rstrip("\n") + "\n" + extra
    return text.rstrip("\n") + "\n"


def _bare_header(report: dict[str, Any]) -> str:
    verdict = report.get("verdict", "pass")
    lines = [f"## {_ICON.get(verdict, '')} {TITLE}: **{verdict.upper()}**", ""]
    lines += [f"- {cell(r)}" for r in report.get("reasons", [])] or ["- no gate rule was triggered"]
    return "\n".join(lines) + "\n"


def _nothing_markdown(check: dict[str, Any]) -> str:
    lines = [f"## ✅ {TITLE}: nothing to run", "", _base_line(check), ""]
    if check.get("suites"):
        lines += [_changes_table(check), "No case changed its rendered input, checks or reference.", ""]
    else:
        lines.append("No suite, prompt or data file used by a suite changed.")
    for prompt in check.get("unused_prompts", []):
        lines.append(f"- prompt <code>{cell(prompt)}</code> changed but is used by no suite")
    return "\n".join(lines).rstrip("\n") + "\n"


def _base_line(check: dict[str, Any]) -> str:
    base = check.get("base", {})
    how = "" if base.get("how") == "given" else f" ({cell(base.get('how', ''))})"
    model = f" · model <code>{cell(check['model'])}</code>" if check.get("model") else ""
    return f"Base <code>{cell(base.get('ref', ''))}</code>{how} at `{str(base.get('commit', ''))[:12]}`{model}"


def _changes_table(check: dict[str, Any]) -> str:
    suites = check.get("suites", [])
    lines = ["| suite | change | run | unchanged | removed |", "|---|---|---|---|---|"]
    for s in suites[:MAX_ROWS]:
        where = s.get("path") or s.get("base_path") or ""
        if s.get("base_path") and s.get("path") and s["base_path"] != s["path"]:
            where = f"{s['base_path']} → {s['path']}"
        status = s.get("status", "")
        why = "; ".join(s.get("reasons", [])) or status
        if status != "changed":
            why = f"**{status}**: {why}"
        lines.append(f"| <code>{cell(s.get('id'))}</code> ({cell(where)}) | {cell(why)} | {len(s.get('run', []))} "
                     f"| {len(s.get('unchanged', []))} | {len(s.get('removed', []))} |")
    if len(suites) > MAX_ROWS:
        lines.append(f"| … {len(suites) - MAX_ROWS} more | | | | |")
    for prompt in check.get("unused_prompts", []):
        lines.append(f"| – | prompt {cell(prompt)} changed, used by no suite | 0 | | |")
    return "\n".join(lines) + "\n"


def _new_cases_markdown(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return ""
    out = ["", "### New cases (no baseline, not gated)", "", "| suite | case | passed |", "|---|---|---|"]
    failing = []
    for suite in runs:
        for case in suite.get("cases", []):
            out.append(f"| <code>{cell(suite.get('id'))}</code> | <code>{cell(case.get('id'))}</code> | "
                       f"{'✅' if case.get('passed') else '❌'} {case.get('pass_rate', 0):.0%} |")
            if not case.get("passed"):
                failing.append((suite, case))
    for suite, case in failing[:10]:
        out.append(f"\n<details><summary><code>{cell(suite.get('id'))}::{cell(case.get('id'))}</code> fails"
                   "</summary>\n")
        out.append(pre((case.get("outputs") or [""])[0]))
        out.append("</details>")
    return "\n".join(out) + "\n"


def check_junit(report: dict[str, Any]) -> str:
    """The comparison's JUnit, plus one testsuite per suite of new cases (a failing new case fails)."""
    root = ET.fromstring(comparison_junit(report).split("\n", 1)[1])
    root.set("name", TITLE)
    if report.get("new_cases"):
        extra = ET.fromstring(run_junit({"suites": report["new_cases"]}).split("\n", 1)[1])
        for node in extra:
            node.set("name", f"{node.get('name')} (new cases)")
            root.append(node)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""Terminal output (rich). Model output is printed as plain text, never as markup.

At ``NARROW_BELOW`` columns or more a comparison is one wide table; below, one block of short
lines per suite, so nothing is cut to ``…`` in an 80-column terminal. Lines are printed with
``soft_wrap`` (never hard-wrapped mid-phrase: the terminal wraps them).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.analysis.report import ComparisonReport, SuiteReport
from harness.analysis.report_judge import judge_line
from harness.reporters.run_report import check_pass_rates
from harness.types import CaseStatus, RunResult

NARROW_BELOW = 100
_VERDICT_STYLE = {"pass": "green", "warn": "yellow", "inconclusive": "magenta", "fail": "red"}
_STATUS_MARK = {CaseStatus.REGRESSION: "[red]✗[/red]", CaseStatus.IMPROVEMENT: "[green]↑[/green]",
                CaseStatus.STABLE_PASS: "[green]✓[/green]", CaseStatus.STABLE_FAIL: "[red]·[/red]",
                CaseStatus.FLAKY: "[yellow]~[/yellow]"}


def _preview(text: str, limit: int | None = 80) -> str:
    """One line of ``text``, cut to ``limit`` characters (whole when ``limit`` is None), escaped."""
    flat = " ".join(text.split())
    if limit is None or len(flat) <= limit:
        return escape(flat)
    return escape(flat[: limit - 1] + "…")


def make_console() -> Console:
    """stdout console; when not a terminal and ``COLUMNS`` is unset, 140 columns (CI logs)."""
    console = Console(soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(width=max(console.width, 140))
    return console


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def print_runs(results: list[RunResult], console: Console | None = None, max_failures: int = 10,
               full: bool = False) -> None:
    """Per suite: check pass rates, then the failing cases (``full``: all of them, whole outputs)."""
    console = console or make_console()
    for result in results:
        info = result.info
        title = f"{escape(info.suite_id)} · {escape(info.model_spec)} · prompt {escape(info.prompt_version)}"
        console.print(f"[bold]{title}[/bold]", soft_wrap=True)
        table = Table(show_header=True)
        table.add_column("check", overflow="fold")
        table.add_column("pass rate", justify="right", no_wrap=True)
        for name, rate in sorted(check_pass_rates(result).items()):
            table.add_row(escape(name), f"{rate:.0%}")
        table.add_row("[b]case pass rate[/b]", f"[b]{result.pass_rate:.1%}[/b]")
        console.print(table)
        if not result.complete:
            console.print("[yellow]run incomplete: some generations failed (see errors)[/yellow]")
        _print_failing(console, result, None if full else max_failures, full)


def _print_failing(console: Console, result: RunResult, limit: int | None, full: bool) -> None:
    failing = [c for c in result.cases if c.pass_rate is None or c.pass_rate < 1.0]
    if not failing:
        return
    console.print(f"[bold]failing cases ({len(failing)} of {len(result.cases)})[/bold]")
    for case in failing[:limit]:
        sample = next((s for s in case.samples if not s.passed), case.samples[0] if case.samples else None)
        reason = ""
        if sample is not None:
            reason = sample.error or "; ".join(s.reason for s in sample.scores if not s.passed)
        console.print(f"  [red]✗[/red] {escape(case.case_id)}  {case.n_passed}/{case.n} passed", soft_wrap=True)
        console.print(f"    reason: {_preview(reason, None if full else 200)}", soft_wrap=True)
        console.print(f"    output: {_output(sample.output if sample else '', full)}", soft_wrap=True)
    if limit is not None and len(failing) > limit:
        console.print(f"… and {len(failing) - limit} more failing cases (see --full or --json)")


def _output(text: str, full: bool) -> str:
    """A model output: whole and as written with ``full``, else one line of at most 100 characters."""
    return escape(text) if full else _preview(text, 100)


def print_stored(comparison_id: str | None, run_ids: Sequence[str | None],
                 console: Console | None = None) -> None:
    """The history ids of what was just stored (12-character prefixes, accepted wherever an id is)."""
    console = console or make_console()
    runs = [r[:12] for r in run_ids if r]
    if runs:
        console.print(f"stored run{'s' if len(runs) > 1 else ''}: {', '.join(runs)}", soft_wrap=True)
    if comparison_id:
        console.print(f"stored comparison: {comparison_id[:12]} "
                      f"(harness report {comparison_id[:12]} --html report.html)", soft_wrap=True)


def print_message(text: str, style: str = "", console: Any = None) -> None:
    """A message on stderr, never hard-wrapped."""
    (console or Console(stderr=True)).print(escape(text), style=style or None, soft_wrap=True)


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pp"


def print_comparison(report: ComparisonReport, console: Console | None = None, worst: int = 3,
                     full: bool = False) -> None:
    """Verdict and reasons, per-suite statistics (a table, or blocks when narrow), per-case statuses
    for a check, the worst regressions with both outputs (``full``: all, whole), the power statement."""
    console = console or make_console()
    if console.width < NARROW_BELOW:
        for suite in report.suites:
            _print_suite_block(console, suite)
    else:
        console.print(_suite_table(report))
    if report.check is not None:
        _print_case_statuses(console, report, full)
    for suite in report.suites:
        _print_regressions(console, suite, None if full else worst, full)
        for warning in suite.warnings:
            console.print(f"[yellow]warning[/yellow] {escape(suite.id)}: {escape(warning)}", soft_wrap=True)
        if suite.decision is not None:
            console.print(f"{escape(suite.id)}: {escape(suite.decision.summary())}", soft_wrap=True)
        if suite.judge is not None:
            console.print(f"{escape(suite.id)}: {escape(judge_line(suite.judge))}", soft_wrap=True)
        if suite.stats.power.text:
            console.print(f"[dim]{escape(suite.id)}: {escape(suite.stats.power.text)}[/dim]", soft_wrap=True)
    style = _VERDICT_STYLE.get(report.verdict, "red")
    console.print(f"\n[bold {style}]verdict: {report.verdict.upper()}[/bold {style}]")
    for reason in report.reasons:
        level = reason[1:reason.index("]")] if reason.startswith("[") and "]" in reason else ""
        colour = _VERDICT_STYLE.get(level, "")
        text = f"[{colour}]{escape(reason)}[/{colour}]" if colour else escape(reason)
        console.print(f"  • {text}", soft_wrap=True)


def _suite_cells(suite: SuiteReport) -> dict[str, str]:
    stats, statuses = suite.stats, Counter(c.status for c in suite.cases)
    ci = stats.ci95 or [None, None]
    mcnemar = float("nan") if stats.mcnemar_p is None else stats.mcnemar_p
    median = suite.drift.median
    return {"suite": escape(suite.id),
            "verdict": f"[{_VERDICT_STYLE.get(suite.verdict or '', 'white')}]{suite.verdict}[/]",
            "baseline": _pct(suite.baseline.pass_rate), "candidate": _pct(suite.candidate.pass_rate),
            "Δ pass rate": _pp(stats.pass_rate_delta), "95% CI": f"{_pp(ci[0])} to {_pp(ci[1])}",
            "McNemar p": f"{mcnemar:.3g}", "regr.": str(statuses[CaseStatus.REGRESSION]),
            "impr.": str(statuses[CaseStatus.IMPROVEMENT]), "flaky": str(statuses[CaseStatus.FLAKY]),
            "drift p50": "–" if median is None else f"{median:.2f}"}


def _suite_table(report: ComparisonReport) -> Table:
    table = Table(title="baseline vs candidate", show_lines=False)
    for column in ("suite", "verdict", "baseline", "candidate", "Δ pass rate", "95% CI", "McNemar p",
                   "regr.", "impr.", "flaky", "drift p50"):
        table.add_column(column, justify="left" if column in ("suite", "verdict") else "right",
                         no_wrap=column != "suite", overflow="fold")
    for suite in report.suites:
        table.add_row(*_suite_cells(suite).values())
    return table


def _print_suite_block(console: Console, suite: SuiteReport) -> None:
    """The narrow layout: one block of short lines per suite."""
    cells = _suite_cells(suite)
    console.print(f"\n[bold]{cells['suite']}[/bold]  {cells['verdict']}", soft_wrap=True)
    console.print(f"  pass rate  {cells['baseline']} → {cells['candidate']}  ({cells['Δ pass rate']}; "
                  f"95% CI {cells['95% CI']})", soft_wrap=True)
    console.print(f"  cases      {cells['regr.']} regressed, {cells['impr.']} improved, {cells['flaky']} flaky; "
                  f"McNemar p {cells['McNemar p']}; drift p50 {cells['drift p50']}", soft_wrap=True)


def _print_case_statuses(console: Console, report: ComparisonReport, full: bool) -> None:
    """``harness check``: every compared case with its status, and what share of the suite that is."""
    planned = {s.id: s for s in report.check.suites} if report.check else {}
    for suite in report.suites:
        plan = planned.get(suite.id)
        total = len(plan.run) + len(plan.unchanged) if plan is not None else len(suite.cases)
        scope = (f"all {total} cases" if len(suite.cases) >= total else
                 f"only the {len(suite.cases)} affected case(s) of {total}; pass rates cover these only")
        console.print(f"\n[bold]{escape(suite.id)}[/bold]: {scope}", soft_wrap=True)
        width = max((len(c.id) for c in suite.cases), default=0)
        for case in suite.cases:
            mark = _STATUS_MARK.get(case.status, " ")
            console.print(f"  {mark} {escape(case.id.ljust(width))}  {case.status.value:<11}  "
                          f"{_pct(case.baseline_pass_rate)} → {_pct(case.candidate_pass_rate)}", soft_wrap=True)
            if full:
                console.print(f"    baseline : {_output((case.baseline_outputs or [''])[0], True)}", soft_wrap=True)
                console.print(f"    candidate: {_output((case.candidate_outputs or [''])[0], True)}", soft_wrap=True)


def _print_regressions(console: Console, suite: SuiteReport, worst: int | None, full: bool) -> None:
    regressions = [c for c in suite.cases if c.status == CaseStatus.REGRESSION]
    if not regressions:
        return
    regressions.sort(key=lambda c: ("critical" not in c.tags,
                                    (c.candidate_pass_rate or 0) - (c.baseline_pass_rate or 0)))
    console.print(f"\n[bold]{escape(suite.id)}: {len(regressions)} regression(s), worst first[/bold]")
    for case in regressions[:worst]:
        tags = f" [{escape(', '.join(case.tags))}]" if case.tags else ""
        console.print(f"  [red]✗[/red] {escape(case.id)}{tags}", soft_wrap=True)
        console.print(f"    baseline : {_output((case.baseline_outputs or [''])[0], full)}", soft_wrap=True)
        console.print(f"    candidate: {_output((case.candidate_outputs or [''])[0], full)}", soft_wrap=True)

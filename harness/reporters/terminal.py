"""Terminal tables (rich). Model output is printed as plain text, never as markup."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.analysis.report import ComparisonReport, SuiteReport
from harness.analysis.report_judge import judge_line
from harness.reporters.run_report import check_pass_rates
from harness.types import CaseStatus, RunResult


def _preview(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def make_console() -> Console:
    """stdout console; at least 140 columns when not a terminal (CI logs), so tables stay readable."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 140))
    return console


def print_runs(results: list[RunResult], console: Console | None = None, max_failures: int = 10) -> None:
    console = console or make_console()
    for result in results:
        info = result.info
        title = f"{escape(info.suite_id)} · {escape(info.model_spec)} · prompt {escape(info.prompt_version)}"
        table = Table(title=title, show_header=True)
        table.add_column("check")
        table.add_column("pass rate", justify="right")
        for name, rate in sorted(check_pass_rates(result).items()):
            table.add_row(escape(name), f"{rate:.0%}")
        table.add_row("[b]case pass rate[/b]", f"[b]{result.pass_rate:.1%}[/b]")
        console.print(table)
        if not result.complete:
            console.print("[yellow]run incomplete: some generations failed (see errors)[/yellow]")
        failing = [c for c in result.cases if c.pass_rate is None or c.pass_rate < 1.0]
        if failing:
            fails = Table(title=f"failing cases ({len(failing)} of {len(result.cases)})", show_lines=False)
            fails.add_column("case")
            fails.add_column("pass", justify="right")
            fails.add_column("reason")
            fails.add_column("output")
            for case in failing[:max_failures]:
                sample = next((s for s in case.samples if not s.passed), case.samples[0] if case.samples else None)
                reason = ""
                if sample is not None:
                    reason = sample.error or "; ".join(s.reason for s in sample.scores if not s.passed)
                fails.add_row(escape(case.case_id), f"{case.n_passed}/{case.n}", _preview(reason, 70),
                              _preview(sample.output if sample else ""))
            console.print(fails)
            if len(failing) > max_failures:
                console.print(f"… and {len(failing) - max_failures} more failing cases (see --json)")


def print_message(text: str, style: str = "", console: Any = None) -> None:
    (console or Console(stderr=True)).print(escape(text), style=style or None)


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pp"


_VERDICT_STYLE = {"pass": "green", "warn": "yellow", "inconclusive": "magenta", "fail": "red"}


def print_comparison(report: ComparisonReport, console: Console | None = None, worst: int = 3) -> None:
    """Verdict and reasons, per-suite statistics, the worst regressions with both outputs, the power statement."""
    console = console or make_console()
    style = _VERDICT_STYLE.get(report.verdict, "red")
    table = Table(title="baseline vs candidate", show_lines=False)
    for column in ("suite", "verdict", "baseline", "candidate", "Δ pass rate", "95% CI", "McNemar p",
                   "regr.", "impr.", "flaky", "drift p50"):
        table.add_column(column, justify="left" if column in ("suite", "verdict") else "right")
    for suite in report.suites:
        stats = suite.stats
        statuses = Counter(c.status for c in suite.cases)
        ci = stats.ci95 or [None, None]
        median = suite.drift.median
        mcnemar = float("nan") if stats.mcnemar_p is None else stats.mcnemar_p
        table.add_row(escape(suite.id),
                      f"[{_VERDICT_STYLE.get(suite.verdict or '', 'white')}]{suite.verdict}[/]",
                      f"{suite.baseline.pass_rate:.1%}", f"{suite.candidate.pass_rate:.1%}",
                      _pp(stats.pass_rate_delta), f"{_pp(ci[0])} … {_pp(ci[1])}",
                      f"{mcnemar:.3g}", str(statuses[CaseStatus.REGRESSION]),
                      str(statuses[CaseStatus.IMPROVEMENT]), str(statuses[CaseStatus.FLAKY]),
                      "–" if median is None else f"{median:.2f}")
    console.print(table)
    for suite in report.suites:
        _print_regressions(console, suite, worst)
        for warning in suite.warnings:
            console.print(f"[yellow]warning[/yellow] {escape(suite.id)}: {escape(warning)}")
        if suite.decision is not None:
            console.print(f"{escape(suite.id)}: {escape(suite.decision.summary())}")
        if suite.judge is not None:
            console.print(f"{escape(suite.id)}: {escape(judge_line(suite.judge))}")
        if suite.stats.power.text:
            console.print(f"[dim]{escape(suite.id)}: {escape(suite.stats.power.text)}[/dim]")
    console.print(f"\n[bold {style}]verdict: {report.verdict.upper()}[/bold {style}]")
    for reason in report.reasons:
        console.print(f"  • {escape(reason)}")


def _print_regressions(console: Console, suite: SuiteReport, worst: int) -> None:
    regressions = [c for c in suite.cases if c.status == CaseStatus.REGRESSION]
    if not regressions:
        return
    regressions.sort(key=lambda c: ("critical" not in c.tags,
                                    (c.candidate_pass_rate or 0) - (c.baseline_pass_rate or 0)))
    console.print(f"\n[bold]{escape(suite.id)}: {len(regressions)} regression(s), worst first[/bold]")
    for case in regressions[:worst]:
        tags = f" [{escape(', '.join(case.tags))}]" if case.tags else ""
        console.print(f"  [red]✗[/red] {escape(case.id)}{tags}")
        console.print(f"    baseline : {_preview((case.baseline_outputs or [''])[0], 100)}")
        console.print(f"    candidate: {_preview((case.candidate_outputs or [''])[0], 100)}")

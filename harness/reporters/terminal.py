"""Terminal tables (rich). Model output is printed as plain text, never as markup."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.reporters.run_report import check_pass_rates
from harness.types import RunResult


def _preview(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def print_runs(results: list[RunResult], console: Console | None = None, max_failures: int = 10) -> None:
    console = console or Console()
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
        failing = [c for c in result.cases if c.pass_rate < 1.0]
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

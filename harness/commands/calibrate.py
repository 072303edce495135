"""``harness calibrate``: A/A comparisons of a model against itself; the gate's false-FAIL rate and the K
that reaches a target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.analysis.calibration import Calibration
from harness.analysis.report import CalibrationReport, CalibrationSuite, CaseNoiseReport
from harness.commands.shared import load_gate_policy, load_suites, write_reports
from harness.errors import EXIT_OK


@dataclass(frozen=True)
class CalibrateOptions:
    """What ``harness calibrate`` can set; ``None`` means the project's setting."""

    model: str | None = None
    samples: int | None = None
    params: dict[str, Any] = field(default_factory=dict)   # --param KEY=VALUE overrides
    policy_file: Path | None = None
    repeats: int = 1
    alpha: float = 0.05
    target: float = 0.05
    seed: int | None = None
    use_cache: bool = True
    allow_code: bool = False


def calibrate_command(suites: list[Path], options: CalibrateOptions, json_out: Path | None) -> int:
    """A/A: the model against itself with independent seeds; how often noise alone flags regressions."""
    from rich.console import Console
    from rich.markup import escape

    from harness.analysis.calibration import calibrate
    from harness.analysis.compare import compare_runs
    from harness.pipeline import options_from_project, run_suite
    from harness.project.config import load_project_config, resolve_model

    project = load_project_config()
    spec = resolve_model(options.model or project.default_model, project)
    run_options = options_from_project(project, samples=options.samples, params=options.params,
                                       seed=options.seed,
                                       use_cache=options.use_cache, allow_code=options.allow_code or None)
    comparisons = []
    for suite in load_suites(suites):
        for r in range(options.repeats):
            side_a = run_suite(suite, spec, project, replace(run_options, seed=run_options.seed + 2 * r))
            side_b = run_suite(suite, spec, project, replace(run_options, seed=run_options.seed + 2 * r + 1))
            comparisons.append(compare_runs(side_a, side_b, alpha=options.alpha, bootstrap_seed=run_options.seed))
    results = calibrate(comparisons, target=options.target, policy=load_gate_policy(project, options.policy_file))
    console = Console()
    for result in results:
        console.print(f"[bold]{escape(result.suite_id)}[/bold]: the gate failed {result.gate_fails_observed} of "
                      f"{result.repeats} A/A comparison(s); {result.observed_regressions} case regression "
                      "status(es) observed")
        console.print(escape(result.text))
    write_reports(calibration_report(results), {"json": json_out}, {})
    return EXIT_OK


def calibration_report(results: Sequence[Calibration]) -> CalibrationReport:
    """The ``--json`` report: one object per suite."""
    return CalibrationReport([
        CalibrationSuite(
            suite_id=r.suite_id, samples=r.samples, alpha=r.alpha, repeats=r.repeats,
            observed_regressions=r.observed_regressions, observed_improvements=r.observed_improvements,
            observed_false_alarm_rate=r.observed_false_alarm_rate, expected_regressions=r.expected_regressions,
            false_alarm_rate=r.false_alarm_rate, target=r.target, samples_needed=r.samples_needed,
            cases=[CaseNoiseReport(case_id=c.case_id, p=c.p, false_regression=c.false_regression) for c in r.cases],
            text=r.text, gate_fails_observed=r.gate_fails_observed,
            gate_false_fail_observed=r.gate_false_fail_observed,
            gate_false_fail_estimated=r.gate_false_fail_estimated, gate_samples_needed=r.gate_samples_needed,
            gate_draws=r.gate_draws)
        for r in results])

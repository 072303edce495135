"""``harness check``: the pre-merge check of prompt and suite changes.

Finds what changed between a git ref and the working tree (uncommitted and untracked
files included), plans the affected suites and cases (``harness.commands.changes``), and compares
only those: baseline = prompt and suite as they are at the ref (read with git, nothing is
checked out), candidate = the working tree, both on one model. Cases that are new have no
baseline: they run on the candidate side only and are reported, not gated. When nothing
relevant changed no model is resolved or loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.commands.changes import CheckPlan, SuitePlan, plan_check
from harness.errors import EXIT_INFRA, EXIT_OK
from harness.commands.gitfiles import (
    changed_files,
    merge_base_with_default_branch,
    require_git_repo,
    resolve_ref,
    revision_files,
)
from harness.project.paths import ProjectFiles
from harness.analysis.report import ComparisonReport
from harness.project.suites import Suite


@dataclass(frozen=True)
class CheckOptions:
    """What the command line can set; ``None`` means the project's setting."""

    base: str | None = None
    model: str | None = None
    policy_file: Path | None = None
    samples: int | None = None
    seed: int | None = None
    alpha: float = 0.05
    use_cache: bool = True
    allow_code: bool = False
    progress: bool = True


@dataclass(frozen=True)
class BaseRevision:
    """The revision compared against: as named, and the commit it resolved to."""

    ref: str
    commit: str
    how: str  # "given" or "merge base with <branch>"

    @property
    def label(self) -> str:
        via = "" if self.how == "given" else f" ({self.how})"
        return f"{self.ref}{via} @ {self.commit[:12]}"


@dataclass(frozen=True)
class CheckOutcome:
    """The plan, the report dict (DESIGN's comparison JSON plus a ``check`` section), the exit code."""

    base: BaseRevision
    plan: CheckPlan
    report: dict[str, Any]
    exit_code: int

    @property
    def ran(self) -> bool:
        return not self.plan.nothing_to_run


def find_base(root: Path, base: str | None) -> BaseRevision:
    """``--base REF`` resolved, else the merge base of HEAD with the default branch."""
    require_git_repo(root)
    if base is not None:
        return BaseRevision(base, resolve_ref(root, base), "given")
    branch, commit = merge_base_with_default_branch(root)
    return BaseRevision(branch, commit, f"merge base with {branch}")


def plan_for(root: Path, base: BaseRevision, suites_dirs: tuple[str, ...] = ("suites",)) -> CheckPlan:
    """The check plan between ``base`` and the working tree under ``root``."""
    changes = changed_files(root, base.commit)
    return plan_check(revision_files(root, base.commit), ProjectFiles(root), changes, suites_dirs)


def run_check(options: CheckOptions, start: Path | None = None, store: Any = None) -> CheckOutcome:
    """Plan, then compare only the affected cases; exit code by the gate policy."""
    from harness.project.config import load_project_config

    project = load_project_config(start)
    base = find_base(project.root, options.base)
    plan = plan_for(project.root, base, tuple(project.suites) or ("suites",))
    if plan.nothing_to_run:
        return CheckOutcome(base, plan, _report_without_runs(base, plan), EXIT_OK)
    return _execute(project, base, plan, options, store)


def _execute(project: Any, base: BaseRevision, plan: CheckPlan, options: CheckOptions,
             store: Any) -> CheckOutcome:
    from harness.commands.common import load_gate_policy
    from harness.project.config import resolve_model
    from harness.pipeline import compare_suites, options_from_project, run_suite
    from harness.reporters.run_report import run_suite_report

    spec = resolve_model(options.model or project.default_model, project)
    run_options = options_from_project(project, samples=options.samples, seed=options.seed,
                                       use_cache=options.use_cache, allow_code=options.allow_code or None,
                                       progress=options.progress)
    pairs = [(_only(s.base, s.baseline_ids), _only(s.head, s.baseline_ids))
             for s in plan.to_run if s.base is not None and s.head is not None and s.baseline_ids]
    if pairs:
        outcome = compare_suites(pairs, spec, spec, project, run_options,
                                 policy=load_gate_policy(project, options.policy_file), alpha=options.alpha,
                                 variable="prompt", store=store)
        report = outcome.report.model_dump(mode="json")
    else:
        report = {"verdict": "pass", "reasons": [], "suites": []}
    new_runs = [run_suite(s.head, spec, project, run_options, case_ids=_new_ids(s), store=store)
                for s in plan.to_run if s.head is not None and _new_ids(s)]
    report["new_cases"] = [run_suite_report(r).model_dump(mode="json") for r in new_runs]
    _note_new_failures(report)
    report["check"] = check_section(base, plan, spec.label)
    from harness.commands.common import comparison_exit_code

    exit_code = comparison_exit_code(ComparisonReport.model_validate(report))
    if exit_code == EXIT_OK and any(not r.complete for r in new_runs):
        exit_code = EXIT_INFRA
    return CheckOutcome(base, plan, report, exit_code)


def _only(suite: Suite | None, ids: set[str]) -> Suite:
    """The suite restricted to ``ids`` (in file order)."""
    assert suite is not None
    return replace(suite, cases=tuple(c for c in suite.cases if c.id in ids))


def _new_ids(plan: SuitePlan) -> set[str]:
    return plan.run_ids - plan.baseline_ids


def _note_new_failures(report: dict[str, Any]) -> None:
    """New cases are not gated (no baseline), but failing ones turn a pass into a warn."""
    failing = [f"{s['id']}::{c['id']}" for s in report["new_cases"] for c in s["cases"] if not c["passed"]]
    if not failing:
        return
    shown = ", ".join(failing[:10]) + (" …" if len(failing) > 10 else "")
    report["reasons"] = [*report.get("reasons", []),
                         f"{len(failing)} new case(s) fail (no baseline to compare with): {shown}"]
    if report["verdict"] == "pass":
        report["verdict"] = "warn"


def check_section(base: BaseRevision, plan: CheckPlan, model: str | None) -> dict[str, Any]:
    """The ``check`` object of the report: base revision, model, plan, summary."""
    return {"base": {"ref": base.ref, "commit": base.commit, "how": base.how}, "model": model,
            "summary": plan.summary(), "nothing_to_run": plan.nothing_to_run, **plan.as_dict()}


def _report_without_runs(base: BaseRevision, plan: CheckPlan) -> dict[str, Any]:
    reasons = ["nothing relevant changed" if not plan.suites
               else "no case changed its input, checks or reference"]
    return {"verdict": "pass", "reasons": reasons, "suites": [], "new_cases": [],
            "check": check_section(base, plan, None)}


def write_check_reports(outcome: CheckOutcome, outputs: dict[str, Path | None]) -> None:
    """--json, --junit, --markdown, --html for a check."""
    from harness.reporters.check import check_junit, check_markdown
    from harness.reporters.files import write_json, write_text

    if outputs.get("json"):
        write_json(outputs["json"], outcome.report)  # type: ignore[arg-type]
    if outputs.get("junit"):
        write_text(outputs["junit"], check_junit(outcome.report))  # type: ignore[arg-type]
    if outputs.get("markdown"):
        write_text(outputs["markdown"], check_markdown(outcome.report))  # type: ignore[arg-type]
    if outputs.get("html"):
        from harness.reporters.html import render_comparison_html

        write_text(outputs["html"], render_comparison_html(outcome.report))  # type: ignore[arg-type]


def check_command(options: CheckOptions, outputs: dict[str, Path | None], store: Any = None,
                  start: Path | None = None) -> int:
    """``harness check``: plan, print what runs, compare, print, write the reports; the exit code."""
    from harness.reporters.terminal import print_comparison, print_message

    outcome = run_check(options, start=start, store=store)
    print_message(f"base: {outcome.base.label}")
    print_message(outcome.plan.summary())
    if outcome.report.get("suites"):
        print_comparison(ComparisonReport.model_validate(outcome.report))
    for reason in outcome.report.get("reasons", []) if not outcome.report.get("suites") else []:
        print_message(f"{outcome.report['verdict']}: {reason}")
    write_check_reports(outcome, outputs)
    return outcome.exit_code

"""``harness check``: the pre-merge check of prompt and suite changes.

Finds what changed between a git ref and the working tree (uncommitted and untracked
files included), plans the affected suites and cases (``harness.commands.changes``), and compares
only those: baseline = prompt and suite as they are at the ref (read with git, nothing is
checked out), candidate = the working tree, both on one model. Cases that are new have no
baseline: they run on the candidate side only and are reported, not gated. When nothing
relevant changed no model is resolved or loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.analysis.report import (
    BaseRef,
    ChangedFile,
    CheckSection,
    ComparisonReport,
    PlannedCase,
    RunSuite,
    SuitePlanReport,
)
from harness.commands.changes import CheckPlan, SuitePlan, plan_check
from harness.commands.gitfiles import (
    changed_files,
    merge_base_with_default_branch,
    require_git_repo,
    resolve_ref,
    revision_files,
)
from harness.commands.shared import CaseSelection, ReportPaths
from harness.errors import EXIT_INFRA, EXIT_OK
from harness.project.paths import ProjectFiles
from harness.project.suites import Suite

if TYPE_CHECKING:
    from harness.analysis.sequential import SequentialDesign
    from harness.project.config import ProjectConfig
    from harness.store import Store


@dataclass(frozen=True)
class CheckOptions:
    """What the command line can set; ``None`` means the project's setting."""

    base: str | None = None
    model: str | None = None
    policy_file: Path | None = None
    samples: int | None = None
    design: SequentialDesign | None = None   # --samples auto (new cases, not gated, draw --max-samples)
    params: dict[str, Any] = field(default_factory=dict)   # --param KEY=VALUE overrides
    seed: int | None = None
    alpha: float = 0.05
    use_cache: bool = True
    allow_code: bool = False
    progress: bool = True
    db: str | None = None
    store: bool = True
    selection: CaseSelection = field(default_factory=CaseSelection)
    full: bool = False


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
    """The plan, the comparison report (with ``new_cases`` and the ``check`` section), the exit code."""

    base: BaseRevision
    plan: CheckPlan
    report: ComparisonReport
    exit_code: int
    run_ids: tuple[str, ...] = ()

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


def run_check(options: CheckOptions, start: Path | None = None, store: Store | None = None) -> CheckOutcome:
    """Plan, then compare only the affected cases; exit code by the gate policy."""
    from harness.project.config import load_project_config

    project = load_project_config(start)
    base = find_base(project.root, options.base)
    plan = plan_for(project.root, base, tuple(project.suites) or ("suites",))
    if plan.nothing_to_run:
        return CheckOutcome(base, plan, _report_without_runs(base, plan), EXIT_OK)
    return _execute(project, base, plan, options, store)


def _execute(project: ProjectConfig, base: BaseRevision, plan: CheckPlan, options: CheckOptions,
             store: Store | None) -> CheckOutcome:
    from harness.commands.shared import comparison_exit_code, load_gate_policy
    from harness.pipeline import compare_suites, options_from_project, run_suite
    from harness.project.config import resolve_model
    from harness.reporters.run_report import run_suite_report

    spec = resolve_model(options.model or project.default_model, project)
    fixed = options.design.max_samples if options.design is not None else options.samples
    run_options = options_from_project(project, samples=fixed, params=options.params,
                                       seed=options.seed, design=options.design,
                                       use_cache=options.use_cache, allow_code=options.allow_code or None,
                                       progress=options.progress)
    pick = options.selection.apply
    pairs = [(pick(_only(s.base, s.baseline_ids)), pick(_only(s.head, s.baseline_ids)))
             for s in plan.to_run if s.base is not None and s.head is not None and s.baseline_ids]
    pairs = [(old, new) for old, new in pairs if new.cases]
    base_ids: dict[str, str | None] = {}
    cand_ids: dict[str, str | None] = {}
    if pairs:
        compared = compare_suites(pairs, spec, spec, project, run_options,
                                  policy=load_gate_policy(project, options.policy_file), alpha=options.alpha,
                                  variable="prompt", store=store, save_comparison=False)
        report, base_ids, cand_ids = compared.report, compared.baseline_run_ids, compared.candidate_run_ids
    else:
        report = ComparisonReport(verdict="pass", reasons=[], suites=[])
    new_runs = [run_suite(pick(_only(s.head, _new_ids(s))), spec, project, run_options, store=store)
                for s in plan.to_run if s.head is not None and pick(_only(s.head, _new_ids(s))).cases]
    new_cases = [run_suite_report(r) for r in new_runs]
    report = _with_new_cases(report, new_cases).model_copy(
        update={"check": check_section(base, plan, spec.label)})
    if store is not None:
        comparison_id = store.save_comparison(report, baseline_run_ids=base_ids, candidate_run_ids=cand_ids)
        report = report.model_copy(update={"comparison_id": comparison_id})
    exit_code = comparison_exit_code(report)
    if exit_code == EXIT_OK and any(not r.complete for r in new_runs):
        exit_code = EXIT_INFRA
    run_ids = tuple(i for i in [*base_ids.values(), *cand_ids.values(), *(r.run_id for r in new_runs)] if i)
    return CheckOutcome(base, plan, report, exit_code, run_ids)


def _only(suite: Suite | None, ids: set[str]) -> Suite:
    """The suite restricted to ``ids`` (in file order)."""
    assert suite is not None
    return replace(suite, cases=tuple(c for c in suite.cases if c.id in ids))


def _new_ids(plan: SuitePlan) -> set[str]:
    return plan.run_ids - plan.baseline_ids


def _with_new_cases(report: ComparisonReport, new_cases: list[RunSuite]) -> ComparisonReport:
    """New cases are not gated (no baseline), but failing ones turn a pass into a warn."""
    failing = [f"{s.id}::{c.id}" for s in new_cases for c in s.cases if not c.passed]
    update: dict[str, object] = {"new_cases": new_cases}
    if failing:
        shown = ", ".join(failing[:10]) + (" …" if len(failing) > 10 else "")
        update["reasons"] = [*report.reasons,
                             f"{len(failing)} new case(s) fail (no baseline to compare with): {shown}"]
        update["verdict"] = "warn" if report.verdict == "pass" else report.verdict
    return report.model_copy(update=update)


def check_section(base: BaseRevision, plan: CheckPlan, model: str | None) -> CheckSection:
    """The ``check`` section of the report: base revision, model, plan, summary."""
    return CheckSection(
        base=BaseRef(ref=base.ref, commit=base.commit, how=base.how), model=model, summary=plan.summary(),
        nothing_to_run=plan.nothing_to_run, suites=[_suite_plan(s) for s in plan.suites],
        unused_prompts=list(plan.unused_prompts),
        changed_files=[ChangedFile(kind=c.kind, path=c.path, old_path=c.old_path) for c in plan.changes])


def _suite_plan(s: SuitePlan) -> SuitePlanReport:
    return SuitePlanReport(id=s.suite_id, status=s.status, path=s.path, base_path=s.base_path,
                           reasons=list(s.reasons), note=s.note,
                           run=[PlannedCase(id=c.case_id, reasons=list(c.reasons)) for c in s.run],
                           unchanged=list(s.unchanged), removed=list(s.removed))


def _report_without_runs(base: BaseRevision, plan: CheckPlan) -> ComparisonReport:
    reasons = ["nothing relevant changed" if not plan.suites
               else "no case changed its input, checks or reference"]
    return ComparisonReport(verdict="pass", reasons=reasons, suites=[], new_cases=[],
                            check=check_section(base, plan, None))


def write_check_reports(outcome: CheckOutcome, outputs: ReportPaths) -> None:
    """--json, --junit, --markdown, --html for a check."""
    from harness.commands.shared import write_reports
    write_reports(outcome.report, outputs, {"junit": "harness.reporters.check:check_junit",
                                            "markdown": "harness.reporters.check:check_markdown",
                                            "html": "harness.reporters.html:render_comparison_html"})


def check_command(options: CheckOptions, outputs: ReportPaths, store: Store | None = None,
                  start: Path | None = None) -> int:
    """``harness check``: plan, print what runs, compare, print, write the reports; the exit code.

    Runs and the comparison go to ``store``, else to ``--db`` or the project's history database
    (none with ``--no-store``).
    """
    from harness.commands.shared import open_store
    from harness.project.config import load_project_config
    from harness.reporters.terminal import print_comparison, print_message, print_stored

    if store is None and options.store:
        store = open_store(load_project_config(start), options.db, True)
    outcome = run_check(options, start=start, store=store)
    print_message(f"base: {outcome.base.label}")
    print_message(outcome.plan.summary())
    if outcome.report.suites:
        print_comparison(outcome.report, full=options.full)
    else:
        for reason in outcome.report.reasons:
            print_message(f"{outcome.report.verdict}: {reason}")
    print_stored(outcome.report.comparison_id, outcome.run_ids)
    write_check_reports(outcome, outputs)
    return outcome.exit_code

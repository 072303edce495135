"""``harness compare``: the rollout gate, baseline vs candidate (models, or prompts on one model)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.commands.shared import (
    CaseSelection,
    ReportPaths,
    comparison_exit_code,
    load_gate_policy,
    load_suites,
    open_store,
    select_cases,
    start_renderer,
    suite_paths_or_project,
    write_reports,
)
from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.analysis.report import ComparisonReport
    from harness.analysis.sequential import SequentialDesign
    from harness.project.suites import Suite


@dataclass(frozen=True)
class CompareOptions:
    """What ``harness compare`` can set; ``None`` means the project's setting."""

    baseline: str | None = None
    candidate: str | None = None
    baseline_prompt: str | None = None
    samples: int | None = None
    design: SequentialDesign | None = None   # --samples auto
    params: dict[str, Any] = field(default_factory=dict)   # --param KEY=VALUE overrides
    seed: int | None = None
    candidate_seed: int | None = None   # the candidate's own sampling seed (an A/A of one model: other samples)
    policy_file: Path | None = None
    alpha: float = 0.05
    use_cache: bool = True
    allow_code: bool = False
    executor: str | None = None
    db: str | None = None
    store: bool = True
    selection: CaseSelection = field(default_factory=CaseSelection)
    full: bool = False


def compare_command(suites: list[Path] | None, options: CompareOptions, outputs: ReportPaths) -> int:
    """Baseline vs candidate -> verdict -> reports -> exit code."""
    from harness.project.config import load_project_config, resolve_model

    project = load_project_config()
    loaded = select_cases(load_suites(suite_paths_or_project(suites, project)), options.selection)
    if options.baseline is None and options.candidate is None and options.baseline_prompt is None:
        raise UsageError("give --baseline and --candidate models, or --baseline-prompt to compare prompts")
    if options.candidate_seed is not None and options.design is not None:
        raise UsageError("--candidate-seed works with a fixed --samples K, not with --samples auto")
    base_spec = resolve_model(options.baseline or project.default_model, project)
    cand_spec = resolve_model(options.candidate or options.baseline or project.default_model, project)
    pairs = [(baseline_suite(s, options.baseline_prompt, project.root), s) for s in loaded]
    start_renderer([suite for pair in pairs for suite in pair])
    from harness.pipeline import compare_suites, options_from_project
    from harness.reporters.terminal import print_comparison, print_stored

    variable = "prompt" if options.baseline_prompt and base_spec == cand_spec else "model"
    run_options = options_from_project(project, samples=options.samples, params=options.params,
                                       seed=options.seed, design=options.design,
                                       candidate_seed=options.candidate_seed, use_cache=options.use_cache,
                                       allow_code=options.allow_code or None,
                                       executor=options.executor)
    outcome = compare_suites(pairs, base_spec, cand_spec, project, run_options,
                             policy=load_gate_policy(project, options.policy_file), alpha=options.alpha,
                             variable=variable, store=open_store(project, options.db, options.store))
    print_comparison(outcome.report, full=options.full)
    print_stored(outcome.comparison_id, outcome.run_ids)
    write_comparison_reports(outcome.report, outputs)
    return comparison_exit_code(outcome.report)


def parse_samples(value: str | None, min_samples: int, max_samples: int,
                  futility: float = 0.05) -> tuple[int | None, SequentialDesign | None]:
    """``--samples``: a count (fixed K), ``auto`` (rounds between --min-samples and --max-samples, each
    a look that can stop the whole comparison, for futility when every fail-level rule's conditional
    power is below ``futility``), ``auto-cases`` (rounds stopped by the per-case rule only) or unset."""
    from harness.analysis.sequential import SequentialDesign

    if value is None:
        return None, None
    if value.strip().lower() in ("auto", "auto-cases"):
        if min_samples > max_samples:
            raise UsageError(f"--min-samples ({min_samples}) is above --max-samples ({max_samples})")
        if value.strip().lower() == "auto-cases":
            return None, SequentialDesign(min_samples, max_samples, interim_share=0.0, futility=0.0)
        return None, SequentialDesign(min_samples, max_samples, futility=futility)
    if not value.strip().isdigit() or int(value) < 1:
        raise UsageError(f"--samples: expected a positive whole number, 'auto' or 'auto-cases', got {value!r}")
    return int(value), None


def sampling_options(samples: str | None, min_samples: int, max_samples: int,
                     futility: float = 0.05) -> dict[str, Any]:
    """``samples`` and ``design`` of CompareOptions/CheckOptions from the command line."""
    return dict(zip(("samples", "design"), parse_samples(samples, min_samples, max_samples, futility)))


def write_comparison_reports(report: ComparisonReport, outputs: ReportPaths) -> None:
    """--json, --junit, --markdown, --html of a comparison."""
    write_reports(report, outputs, {"junit": "harness.reporters.junit:comparison_junit",
                                    "markdown": "harness.reporters.markdown:comparison_markdown",
                                    "html": "harness.reporters.html:render_comparison_html"})


def baseline_suite(suite: Suite, baseline_prompt: str | None, root: Path) -> Suite:
    """The suite with its prompt replaced by the baseline prompt (a file, or the suite's prompt at a git revision)."""
    from harness.project.prompts import prompt_from_doc
    from harness.project.yamlfile import load_yaml, load_yaml_text

    if baseline_prompt is None:
        return suite
    if Path(baseline_prompt).is_file():
        return replace(suite, prompt=prompt_from_doc(load_yaml(baseline_prompt)))
    from harness.commands.gitfiles import read_at_revision

    if suite.prompt_path is None:
        from harness.project.paths import ProjectFiles
        from harness.project.suites import suite_from_doc

        rel = ProjectFiles(root).relative(Path(suite.path))
        text = read_at_revision(root, baseline_prompt, rel).decode("utf-8")
        old = suite_from_doc(load_yaml_text(text, f"{baseline_prompt}:{rel}"), ProjectFiles(root))
        return replace(suite, prompt=old.prompt)
    text = read_at_revision(root, baseline_prompt, suite.prompt_path).decode("utf-8")
    return replace(suite, prompt=prompt_from_doc(load_yaml_text(text, f"{baseline_prompt}:{suite.prompt_path}")))

"""Command implementations: load inputs, call the pipeline, write reports, pick the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.analysis.report import CalibrationReport, ComparisonReport
from harness.errors import EXIT_GATE_FAILED, EXIT_INFRA, EXIT_OK, ConfigError, UsageError

ReportPaths = dict[str, Path | None]


def expand_suite_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders -> their *.yaml/*.yml files (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"suite not found: {path}")
    if not found:
        raise UsageError(f"no suite files in {', '.join(map(str, paths))}")
    return found


def load_suites(paths: list[Path]) -> list[Any]:
    from harness.project.suites import load_suite

    suites = [load_suite(p) for p in expand_suite_paths(paths)]
    seen: dict[str, str] = {}
    for suite in suites:
        if suite.id in seen:
            raise ConfigError(f"suite id '{suite.id}' is also used by {seen[suite.id]}", file=suite.path, field="id")
        seen[suite.id] = suite.path
    return suites


def run_command(suites: list[Path], *, model: str | None, samples: int | None, seed: int | None,
                use_cache: bool, allow_code: bool, executor: str | None, db: str | None, store: bool,
                outputs: ReportPaths) -> int:
    from harness.project.config import load_project_config, resolve_model
    from harness.pipeline import options_from_project, run_suites
    from harness.reporters.terminal import print_runs

    project = load_project_config()
    loaded = load_suites(suites)
    spec = resolve_model(model or project.default_model, project)
    options = options_from_project(project, samples=samples, seed=seed, use_cache=use_cache,
                                   allow_code=allow_code or None, executor=executor)
    history = _open_store(project, db, store)
    results = run_suites(loaded, spec, project, options, store=history)
    print_runs(results)
    write_run_reports(results, outputs)
    return EXIT_OK if all(r.complete for r in results) else EXIT_INFRA


def _open_store(project: Any, db: str | None, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from harness.store import Store
    except ImportError:
        return None
    return Store(db or project.database)


def write_run_reports(results: list[Any], outputs: ReportPaths) -> None:
    from harness.reporters.run_report import run_report

    write_reports(run_report(results).model_dump(mode="json"), outputs, {"junit": ("junit", "run_junit"),
                                                 "markdown": ("markdown", "run_markdown"),
                                                 "html": ("html", "render_run_html")})


def write_reports(report: dict[str, Any], outputs: ReportPaths, renderers: dict[str, tuple[str, str]]) -> None:
    """Write the JSON report and each requested rendering (reporter module, function) to its path."""
    import importlib

    from harness.reporters.files import write_json, write_text

    if outputs.get("json"):
        write_json(outputs["json"], report)  # type: ignore[arg-type]
    for fmt, (module, function) in renderers.items():
        path = outputs.get(fmt)
        if path:
            render = getattr(importlib.import_module(f"harness.reporters.{module}"), function)
            write_text(path, render(report))


def compare_command(suites: list[Path], *, baseline: str | None, candidate: str | None,
                    baseline_prompt: str | None, samples: int | None, seed: int | None,
                    policy_file: Path | None, alpha: float, use_cache: bool, allow_code: bool,
                    executor: str | None, db: str | None, store: bool, outputs: ReportPaths) -> int:
    """Baseline vs candidate (models, or prompts on one model) -> verdict -> exit code."""
    from harness.project.config import load_project_config, resolve_model
    from harness.pipeline import compare_suites, options_from_project
    from harness.reporters.terminal import print_comparison

    project = load_project_config()
    loaded = load_suites(suites)
    if baseline is None and candidate is None and baseline_prompt is None:
        raise UsageError("give --baseline and --candidate models, or --baseline-prompt to compare prompts")
    base_spec = resolve_model(baseline or project.default_model, project)
    cand_spec = resolve_model(candidate or baseline or project.default_model, project)
    pairs = [(baseline_suite(s, baseline_prompt, project.root), s) for s in loaded]
    variable = "prompt" if baseline_prompt and base_spec == cand_spec else "model"
    options = options_from_project(project, samples=samples, seed=seed, use_cache=use_cache,
                                   allow_code=allow_code or None, executor=executor)
    outcome = compare_suites(pairs, base_spec, cand_spec, project, options, policy=load_gate_policy(project, policy_file),
                             alpha=alpha, variable=variable, store=_open_store(project, db, store))
    print_comparison(outcome.report)
    write_comparison_reports(outcome.report.model_dump(mode="json"), outputs)
    return comparison_exit_code(outcome.report)


def comparison_exit_code(report: ComparisonReport) -> int:
    """3 when a side could not complete (infrastructure errors; reports still written), else by the gate."""
    incomplete = [s.id for s in report.suites if not (s.baseline.complete and s.candidate.complete)]
    if incomplete:
        from harness.reporters.terminal import print_message

        print_message(f"infrastructure error: runs of {', '.join(incomplete)} could not complete; "
                      "what finished is cached and stored", style="red")
        return EXIT_INFRA
    return EXIT_GATE_FAILED if report.verdict == "fail" else EXIT_OK


def load_gate_policy(project: Any, policy_file: Path | None) -> Any:
    """--policy FILE, else `policy:` in harness.yaml, else the default policy."""
    from harness.analysis.gate import DEFAULT_POLICY, load_policy, parse_policy
    from harness.project.yamlfile import load_yaml

    if policy_file is not None:
        return load_policy(policy_file)
    if project.policy is not None and project.config_file is not None:
        doc = load_yaml(project.config_file)
        return parse_policy(doc.data["policy"], doc, ("policy",))
    return DEFAULT_POLICY


def baseline_suite(suite: Any, baseline_prompt: str | None, root: Path) -> Any:
    """The suite with its prompt replaced by the baseline prompt (a file, or the suite's prompt at a git revision)."""
    from dataclasses import replace

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


def write_comparison_reports(report: dict[str, Any], outputs: ReportPaths) -> None:
    write_reports(report, outputs, {"junit": ("junit", "comparison_junit"),
                                    "markdown": ("markdown", "comparison_markdown"),
                                    "html": ("html", "render_comparison_html")})


def calibrate_command(suites: list[Path], *, model: str | None, samples: int | None, repeats: int,
                      alpha: float, target: float, seed: int | None, use_cache: bool, allow_code: bool,
                      json_out: Path | None) -> int:
    """A/A: the model against itself with independent seeds; how often noise alone flags regressions."""
    from dataclasses import asdict, replace

    from rich.console import Console
    from rich.markup import escape

    from harness.analysis.calibration import calibrate
    from harness.analysis.compare import compare_runs
    from harness.project.config import load_project_config, resolve_model
    from harness.pipeline import options_from_project, run_suite

    project = load_project_config()
    spec = resolve_model(model or project.default_model, project)
    options = options_from_project(project, samples=samples, seed=seed, use_cache=use_cache,
                                   allow_code=allow_code or None)
    comparisons = []
    for suite in load_suites(suites):
        for r in range(repeats):
            side_a = run_suite(suite, spec, project, replace(options, seed=options.seed + 2 * r))
            side_b = run_suite(suite, spec, project, replace(options, seed=options.seed + 2 * r + 1))
            comparisons.append(compare_runs(side_a, side_b, alpha=alpha, bootstrap_seed=options.seed))
    results = calibrate(comparisons, target=target)
    console = Console()
    for result in results:
        console.print(f"[bold]{escape(result.suite_id)}[/bold]: {result.observed_regressions} regression(s) "
                      f"observed over {result.repeats} A/A comparison(s)")
        console.print(escape(result.text))
    if json_out is not None:
        from harness.reporters.files import write_json

        write_json(json_out, CalibrationReport.model_validate([asdict(r) for r in results]).model_dump(mode="json"))
    return EXIT_OK

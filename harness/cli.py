"""The ``harness`` command line: parse arguments -> one pipeline call -> exit code (heavy libraries are
imported only inside the commands that need them)."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import Any

import typer

from harness.errors import EXIT_INFRA, EXIT_USAGE, HarnessError

GC_THRESHOLDS = (100_000, 50, 1000)  # a command holds every case alive: rescanning them took 1/5 of big runs
HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, context_settings=HELP,
                  help="Tells whether it is safe to roll out a new LLM version or a changed prompt.")
cache_app = typer.Typer(no_args_is_help=True, context_settings=HELP, help="Show or clear the generation cache.")
app.add_typer(cache_app, name="cache")
models_app = typer.Typer(no_args_is_help=True, context_settings=HELP, help="List models; prepare the bundled one.")
app.add_typer(models_app, name="models")
import_app = typer.Typer(no_args_is_help=True, help="Import suites from promptfoo or lm-evaluation-harness.")
app.add_typer(import_app, name="import")

SuitesArg = typer.Argument(..., help="Suite files or folders of suites.")
JsonOpt = typer.Option(None, "--json", help="Write the JSON report here.")
JunitOpt = typer.Option(None, "--junit", help="Write a JUnit XML report here.")
MarkdownOpt = typer.Option(None, "--markdown", help="Write a Markdown report (for a PR comment) here.")
HtmlOpt = typer.Option(None, "--html", help="Write a self-contained HTML report here.")
FilterOpt = typer.Option(None, "--filter", help="Only cases whose id or a tag matches this glob (repeatable).")
LimitOpt = typer.Option(None, "--limit", min=1, help="Only the first N (selected) cases of each suite.")
FullOpt = typer.Option(False, "--full", help="Print whole outputs and every failing case or regression.")
OptionalSuitesArg = typer.Argument(None, help="Suite files or folders of suites (default: `suites:` in harness.yaml).")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"harness {version('harness')}")
        raise typer.Exit(0)


def _selection(filters: list[str] | None, limit: int | None):
    from harness.commands.shared import CaseSelection

    return CaseSelection(tuple(filters or ()), limit)


@app.callback()
def _global(
    sandbox_max_timeout: float | None = typer.Option(
        None, "--sandbox-max-timeout", min=0.1, help="Highest code-tests `timeout` a suite may set (default 60 s)."),
    sandbox_max_memory_mb: int | None = typer.Option(
        None, "--sandbox-max-memory-mb", min=64, help="Highest code-tests `memory_mb` a suite may set (default 4096)."),
    _version_flag: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
) -> None:
    """Tells whether it is safe to roll out a new LLM version or a changed prompt."""
    if sandbox_max_timeout is not None or sandbox_max_memory_mb is not None:
        from harness.scoring.checks.code import SandboxBounds, sandbox_bounds, set_sandbox_bounds

        now = sandbox_bounds()
        set_sandbox_bounds(SandboxBounds(max_timeout=sandbox_max_timeout or now.max_timeout,
                                         max_memory_mb=sandbox_max_memory_mb or now.max_memory_mb))


def _project():
    from harness.project.config import load_project_config

    return load_project_config()


ParamOpt = typer.Option(None, "--param", "-p", metavar="KEY=VALUE", help="Generation parameter for every case "
                        "(repeatable), e.g. temperature=0.8; beats every file.")
SamplesOpt = typer.Option(None, "--samples", "-k", help="Generations per case and side, or 'auto' "
                          "(rounds; 'auto-cases': no early stop of the whole comparison).")
MaxSamplesOpt = typer.Option(10, "--max-samples", min=1, help="--samples auto: most rounds per case.")
MinSamplesOpt = typer.Option(2, "--min-samples", min=1, help="--samples auto: fewest rounds per case.")
FutilityOpt = typer.Option(0.05, "--futility", min=0.0, max=0.99, help="--samples auto: stop when every fail "
                           "rule's conditional power is below this (0: never stop for futility).")


def _params(pairs: list[str] | None) -> dict[str, Any]:
    from harness.project.overrides import parse_param_overrides

    return parse_param_overrides(pairs or [])


@app.command()
def run(
    suites: list[Path] | None = OptionalSuitesArg,
    model: str | None = typer.Option(None, "--model", "-m", help="Model spec or name (default: project default)."),
    samples: int | None = typer.Option(None, "--samples", "-k", min=1, help="Generations per case."),
    param: list[str] | None = ParamOpt,
    seed: int | None = typer.Option(None, help="Run seed (per-case seeds derive from it)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    executor: str | None = typer.Option(None, help="local (default) or ray."),
    db: str | None = typer.Option(None, "--db", help="History database URL (default from harness.yaml)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record the run in the history database."),
    filters: list[str] | None = FilterOpt, limit: int | None = LimitOpt, full: bool = FullOpt,
    json_out: Path | None = JsonOpt, junit: Path | None = JunitOpt,
    markdown: Path | None = MarkdownOpt, html: Path | None = HtmlOpt,
) -> None:
    """Run suites against one model: a benchmark run, stored in the history."""
    from harness.commands.run import RunOptionsCli, run_command

    raise typer.Exit(run_command(
        suites, RunOptionsCli(model=model, samples=samples, params=_params(param), seed=seed, use_cache=not no_cache,
                              allow_code=allow_code, executor=executor, db=db, store=not no_store,
                              selection=_selection(filters, limit), full=full),
        {"json": json_out, "junit": junit, "markdown": markdown, "html": html}))


@app.command()
def compare(
    suites: list[Path] | None = OptionalSuitesArg,
    baseline: str | None = typer.Option(None, "--baseline", "-b", help="Baseline model spec or name."),
    candidate: str | None = typer.Option(None, "--candidate", "-c", help="Candidate model spec or name."),
    model: str | None = typer.Option(None, "--model", "-m",
                                     help="One model for both sides (with --baseline-prompt: a prompt upgrade)."),
    baseline_prompt: str | None = typer.Option(
        None, "--baseline-prompt",
        help="Baseline prompt: a prompt file, or a git revision to read the suite's prompt from."),
    samples: str | None = SamplesOpt, max_samples: int = MaxSamplesOpt, min_samples: int = MinSamplesOpt,
    futility: float = FutilityOpt, param: list[str] | None = ParamOpt,
    seed: int | None = typer.Option(None, help="Run seed."), candidate_seed: int | None = typer.Option(
        None, "--candidate-seed", help="The candidate's own sampling seed (fixed K): a model against itself."),
    policy: Path | None = typer.Option(None, "--policy", help="Gate policy YAML (default: harness.yaml's)."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Significance level per case."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    executor: str | None = typer.Option(None, help="local (default) or ray."),
    db: str | None = typer.Option(None, "--db", help="History database URL."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record runs and the comparison."),
    filters: list[str] | None = FilterOpt, limit: int | None = LimitOpt, full: bool = FullOpt,
    json_out: Path | None = JsonOpt, junit: Path | None = JunitOpt,
    markdown: Path | None = MarkdownOpt, html: Path | None = HtmlOpt,
) -> None:
    """The rollout gate: baseline vs candidate, case by case; exit 1 when the gate fails."""
    from harness.commands.compare import CompareOptions, compare_command
    from harness.commands.compare import sampling_options as sampling

    raise typer.Exit(compare_command(
        suites, CompareOptions(baseline=baseline or model, candidate=candidate or model,
                               baseline_prompt=baseline_prompt, **sampling(samples, min_samples, max_samples, futility),
                               params=_params(param), seed=seed, candidate_seed=candidate_seed, policy_file=policy,
                               alpha=alpha, use_cache=not no_cache, allow_code=allow_code, executor=executor, db=db,
                               store=not no_store, selection=_selection(filters, limit), full=full),
        {"json": json_out, "junit": junit, "markdown": markdown, "html": html}))


@app.command()
def check(
    base: str | None = typer.Option(
        None, "--base", help="Git ref to compare with (default: merge base with the default branch)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model spec or name (default: project default)."),
    policy: Path | None = typer.Option(None, "--policy", help="Gate policy YAML (default: harness.yaml's)."),
    samples: str | None = SamplesOpt, max_samples: int = MaxSamplesOpt, min_samples: int = MinSamplesOpt,
    futility: float = FutilityOpt, param: list[str] | None = ParamOpt,
    seed: int | None = typer.Option(None, help="Run seed."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Significance level per case."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    db: str | None = typer.Option(None, "--db", help="History database URL (default from harness.yaml)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record runs and the comparison."),
    filters: list[str] | None = FilterOpt, limit: int | None = LimitOpt, full: bool = FullOpt,
    json_out: Path | None = JsonOpt, junit: Path | None = JunitOpt,
    markdown: Path | None = MarkdownOpt, html: Path | None = HtmlOpt,
) -> None:
    """Pre-merge check: run only the cases a change touched, base revision vs working tree."""
    from harness.commands.check import CheckOptions, check_command
    from harness.commands.compare import sampling_options as sampling

    raise typer.Exit(check_command(
        CheckOptions(base=base, model=model, **sampling(samples, min_samples, max_samples, futility),
                     policy_file=policy, params=_params(param), seed=seed, alpha=alpha, use_cache=not no_cache,
                     allow_code=allow_code, db=db, store=not no_store, selection=_selection(filters, limit), full=full),
        {"json": json_out, "junit": junit, "markdown": markdown, "html": html}))


OutOpt = typer.Option(Path("."), "--out", help="Project folder to write harness.yaml and suites/ into.")
SkipOpt = typer.Option(False, "--skip-unsupported", help="Import the rest when some parts have no equivalent.")


@import_app.command("promptfoo")
def import_promptfoo(config: Path = typer.Argument(..., help="A promptfooconfig.yaml."),
                     out: Path = OutOpt, skip_unsupported: bool = SkipOpt) -> None:
    """Convert a promptfoo config into harness suites and model entries."""
    from harness.commands.importing import import_command
    from harness.importers.promptfoo import import_promptfoo as convert

    raise typer.Exit(import_command(lambda: convert(config), out, skip_unsupported))


@import_app.command("lm-eval")
def import_lm_eval(task: str = typer.Argument(..., help="A task YAML file, or a task, group or tag name."),
                   out: Path = OutOpt, skip_unsupported: bool = SkipOpt) -> None:
    """Convert lm-evaluation-harness generate_until tasks into harness suites."""
    from harness.commands.importing import import_command
    from harness.importers.lm_eval import import_lm_eval as convert

    raise typer.Exit(import_command(lambda: convert(task), out, skip_unsupported))


@app.command()
def validate(paths: list[Path] = typer.Argument(
        None, help="Suite or prompt files or folders (default: the project's).")) -> None:
    """Check every suite and prompt without a model (schema, variables, files, check types)."""
    from harness.project.validate import validate_command

    raise typer.Exit(validate_command(paths or []))


@app.command()
def calibrate(
    suites: list[Path] = SuitesArg,
    model: str | None = typer.Option(None, "--model", "-m", help="Model spec or name (default: project default)."),
    samples: int | None = typer.Option(None, "--samples", "-k", min=1, help="Generations per case and side."),
    param: list[str] | None = ParamOpt,
    repeats: int = typer.Option(1, "--repeats", "-r", min=1, help="A/A comparisons per suite."),
    policy: Path | None = typer.Option(None, "--policy", help="Gate policy YAML (default: harness.yaml's)."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Significance level per case."),
    target: float = typer.Option(0.05, "--target", min=0.0001, max=1.0, help="Target false-alarm rate."),
    seed: int | None = typer.Option(None, help="Base seed; each side of each repeat gets its own."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    json_out: Path | None = JsonOpt,
) -> None:
    """A/A calibration: the model against itself; the false-alarm rate and the K that reaches a target."""
    from harness.commands.calibrate import CalibrateOptions, calibrate_command

    raise typer.Exit(calibrate_command(
        suites, CalibrateOptions(model=model, samples=samples, params=_params(param), policy_file=policy,
                                 repeats=repeats, alpha=alpha,
                                 target=target,
                                 seed=seed, use_cache=not no_cache, allow_code=allow_code), json_out))


@app.command("judge-calibrate")
def judge_calibrate(
    suite: Path = typer.Argument(..., help="The suite whose judge checks to calibrate."),
    labels: Path = typer.Option(..., "--labels", help="JSONL of human labels: case_id, output, pass and/or score."),
    judge: str | None = typer.Option(None, "--judge", help="Judge model spec or name (default: each check's)."),
    samples: int = typer.Option(3, "--judge-samples", "-j", min=1, max=50, help="Judgments per label."),
    seed: int = typer.Option(0, help="Seed of the judgments."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record the result in the history database."),
    json_out: Path | None = JsonOpt,
) -> None:
    """A judge against human labels: accuracy, Cohen's kappa, confusion table, self-consistency, position bias."""
    from harness.commands.judge_calibrate import JudgeCalibrateOptions, judge_calibrate_command

    raise typer.Exit(judge_calibrate_command(suite, JudgeCalibrateOptions(
        labels=labels, judge=judge, samples=samples, use_cache=not no_cache, store=not no_store, seed=seed),
        json_out))


@app.command()
def dashboard(
    db: str | None = typer.Option(None, "--db", help="History database URL (default from harness.yaml)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; non-loopback needs --token."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
    token: str | None = typer.Option(None, "--token", envvar="HARNESS_DASHBOARD_TOKEN",
                                        help="Access token (required off loopback)."),
) -> None:
    """Serve the regression dashboard over the run history (127.0.0.1 by default)."""
    from harness.dashboard import serve

    serve(db or _project().database, host=host, port=port, token=token)


@app.command()
def report(
    ref: str | None = typer.Argument(None, help="A run or comparison id (or prefix); default: the latest comparison."),
    html: Path | None = typer.Option(None, "--html", help="Write a self-contained HTML file here."),
    markdown: Path | None = MarkdownOpt, json_out: Path | None = JsonOpt,
    db: str | None = typer.Option(None, "--db", help="History database URL."),
) -> None:
    """Render a stored run or comparison again: --html, --markdown and/or --json."""
    from harness.commands.history import report_command

    for line in report_command(ref, {"html": html, "markdown": markdown, "json": json_out}, db):
        typer.echo(line)


@app.command()
def history(
    suite: str | None = typer.Option(None, "--suite", help="Only this suite id."),
    model: str | None = typer.Option(None, "--model", "-m", help="Only runs and comparisons of this model spec."),
    verdict: str | None = typer.Option(None, "--verdict",
                                       help="Only comparisons with this verdict (pass, warn, fail, ...)."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many entries."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
    db: str | None = typer.Option(None, "--db", help="History database URL."),
    alias: str | None = typer.Option(None, "--alias", "-a",
                                     help="Instead: this alias's lineage (each promotion and rejection)."),
) -> None:
    """List recent runs and comparisons, newest first: ids, times, verdicts (or an alias's lineage)."""
    from harness.commands.history import HistoryFilter, history_command

    if alias is not None:
        from harness.commands.promote import alias_history_command

        raise typer.Exit(alias_history_command(alias, db, typer.echo, as_json=as_json))
    for line in history_command(db, HistoryFilter(suite=suite, model=model, verdict=verdict, limit=limit), as_json):
        typer.echo(line)


@app.command()
def init(path: Path = typer.Argument(Path("."), help="Folder for the new project."),
         force: bool = typer.Option(False, "--force", help="Overwrite the example files.")) -> None:
    """Scaffold harness.yaml, a prompt, a suite and recorded outputs."""
    from harness.project.scaffold import NEXT_STEPS, init_project

    for written in init_project(path, force=force):
        typer.echo(f"wrote {written}")
    typer.echo(NEXT_STEPS)


@models_app.command("list")
def models_list() -> None:
    """Model names usable wherever a spec is (built-in and from harness.yaml)."""
    from harness.commands.admin import model_lines

    for line in model_lines():
        typer.echo(line)


@models_app.command("prepare")
def models_prepare() -> None:
    """Convert the bundled SmolLM2 GGUF to a safetensors checkpoint in the machine-wide model cache (once)."""
    from harness.generation.backends.bundled import prepare_bundled_model

    typer.echo(f"bundled model ready at {prepare_bundled_model(_project().harness_dir)}")


@cache_app.command("info")
def cache_info() -> None:
    """Show where the generation cache is and how big it is."""
    from harness.generation.cache import GenerationCache

    stats = GenerationCache(_project().cache_dir).stats()
    typer.echo(f"{stats.path}\n{stats.entries} generations, {stats.bytes / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Delete every cached generation."""
    from harness.generation.cache import GenerationCache

    cache = GenerationCache(_project().cache_dir)
    if not yes and not typer.confirm(f"Clear {cache.stats().entries} cached generations?"):
        raise typer.Exit(1)
    typer.echo(f"cleared {cache.clear()} generations")


from harness.commands.lineage_cli import register as _register_lineage

_register_lineage(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps errors to exit codes (2 usage/config, 3 infrastructure)."""
    try:  # typer >= 0.2x ships its own copy of click; older typer uses click itself
        from typer._click.exceptions import ClickException
    except ImportError:
        from click import ClickException  # type: ignore[assignment]

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        code = app(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        from rich.console import Console
        from rich.markup import escape

        kind = "infrastructure error" if exc.exit_code == EXIT_INFRA else "error"
        Console(stderr=True).print(f"[red]{kind}:[/red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception:  # a bug or an unexpected failure: the run could not complete, never "gate failed"
        import traceback

        traceback.print_exc()
        sys.exit(EXIT_INFRA)
    sys.exit(code if isinstance(code, int) else 0)

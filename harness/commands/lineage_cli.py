"""CLI of champion and challenger: ``harness promote`` and ``harness gate`` (``harness history --alias``
is an option of the main ``history`` command).

Registered on the main app by :func:`register` (kept apart from ``harness/cli.py``).
"""

from __future__ import annotations

from pathlib import Path

import typer

AliasOpt = typer.Option(..., "--alias", "-a", help="The alias, e.g. production (a leading @ is allowed).")
DbOpt = typer.Option(None, "--db", help="History database URL (default from harness.yaml).")


def register(app: typer.Typer) -> None:
    """Add ``promote`` and ``gate`` to ``app``."""
    app.command()(promote)
    app.command()(gate)


def promote(
    spec: str = typer.Argument(..., help="Model spec, name or @alias to point the alias at."),
    alias: str = AliasOpt,
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the lineage)."),
    db: str | None = DbOpt,
) -> None:
    """Point an alias at a model by hand (recorded with its fingerprint, who, when and why)."""
    from harness.commands.promote import promote_command

    raise typer.Exit(promote_command(spec, alias, reason, db, typer.echo))


def gate(
    suites: list[Path] = typer.Argument(None, help="Suite files or folders (default: `suites:` of harness.yaml)."),
    alias: str = AliasOpt,
    candidate: str | None = typer.Option(None, "--candidate", "-c", help="Challenger model spec or name."),
    promote_: bool = typer.Option(False, "--promote", help="Move the alias when the gate lets the candidate in."),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the lineage)."),
    watch: Path | None = typer.Option(None, "--watch", help="Gate each new checkpoint folder under DIR, in order."),
    once: bool = typer.Option(False, "--once", help="With --watch: gate what is ready now, then exit."),
    spec_template: str = typer.Option(
        "auto", "--spec-template",
        help="With --watch: a checkpoint's model spec, e.g. hf:{path}; auto: hf:{path} for a folder with "
             "config.json, replay:{path}/outputs.jsonl for recorded outputs."),
    settle: float = typer.Option(10.0, "--settle", min=0.0,
                                 help="With --watch: seconds without change that make an unmarked checkpoint ready."),
    poll: float = typer.Option(10.0, "--poll", min=0.1, help="With --watch: seconds between scans."),
    samples: int | None = typer.Option(None, "--samples", "-k", min=1, help="Generations per case and side."),
    param: list[str] | None = typer.Option(None, "--param", "-p", metavar="KEY=VALUE",
                                           help="Generation parameter for every case (repeatable)."),
    seed: int | None = typer.Option(None, help="Run seed."),
    policy: Path | None = typer.Option(None, "--policy", help="Gate policy YAML (default: harness.yaml's)."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Significance level."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    db: str | None = DbOpt,
    mlflow: str | None = typer.Option(None, "--mlflow", envvar="HARNESS_MLFLOW_URI",
                                      help="MLflow tracking URI (e.g. sqlite:///mlflow.db): log the runs, the "
                                           "comparison and the promotion (needs harness[mlflow])."),
    mlflow_model: str | None = typer.Option(None, "--mlflow-model",
                                            help="Registered model name in MLflow (default harness-ALIAS)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    html: Path | None = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
) -> None:
    """Champion vs challenger: compare a candidate with an alias's model; promote on a passing verdict."""
    from harness.commands.gate import GateOptions, gate_command
    from harness.commands.watch import WatchOptions, watch_command
    from harness.errors import UsageError
    from harness.project.overrides import parse_param_overrides

    options = GateOptions(alias=alias, candidate=candidate, promote=promote_, reason=reason,
                          suites=list(suites or []), samples=samples, params=parse_param_overrides(param or []),
                          seed=seed, policy_file=policy, alpha=alpha, use_cache=not no_cache,
                          allow_code=allow_code, db=db, mlflow=mlflow, mlflow_model=mlflow_model)
    outputs = {"json": json_out, "html": html}
    if watch is not None and candidate is not None:
        raise UsageError("give --candidate or --watch, not both")
    if watch is not None:
        raise typer.Exit(watch_command(options, WatchOptions(folder=watch, spec_template=spec_template,
                                                             settle_s=settle, poll_s=poll, once=once), outputs))
    raise typer.Exit(gate_command(options, outputs))


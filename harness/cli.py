"""The ``harness`` command line: parse arguments -> one pipeline call -> exit code.

Heavy libraries (torch, transformers) are imported only inside the commands that need them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from harness.errors import EXIT_INFRA, EXIT_USAGE, HarnessError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Tells whether it is safe to roll out a new LLM version or a changed prompt.")
cache_app = typer.Typer(no_args_is_help=True, help="Show or clear the generation cache.")
app.add_typer(cache_app, name="cache")

SuitesArg = typer.Argument(..., help="Suite files or folders of suites.")
JsonOpt = typer.Option(None, "--json", help="Write the JSON report here.")
JunitOpt = typer.Option(None, "--junit", help="Write a JUnit XML report here.")
MarkdownOpt = typer.Option(None, "--markdown", help="Write a Markdown report (for a PR comment) here.")
HtmlOpt = typer.Option(None, "--html", help="Write a self-contained HTML report here.")


def _project():
    from harness.config import load_project_config

    return load_project_config()


def _store(project, db: Optional[str], enabled: bool = True):
    if not enabled:
        return None
    from harness.store import Store

    return Store(db or project.database)


@app.command()
def run(
    suites: list[Path] = SuitesArg,
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model spec or name (default: project default)."),
    samples: Optional[int] = typer.Option(None, "--samples", "-k", min=1, help="Generations per case."),
    seed: Optional[int] = typer.Option(None, help="Run seed (per-case seeds derive from it)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the generation cache."),
    allow_code: bool = typer.Option(False, "--allow-code", help="Allow code-tests checks to execute model output."),
    executor: Optional[str] = typer.Option(None, help="local (default) or ray."),
    db: Optional[str] = typer.Option(None, "--db", help="History database URL (default from harness.yaml)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record the run in the history database."),
    json_out: Optional[Path] = JsonOpt, junit: Optional[Path] = JunitOpt,
    markdown: Optional[Path] = MarkdownOpt, html: Optional[Path] = HtmlOpt,
) -> None:
    """Run suites against one model: a benchmark run, stored in the history."""
    from harness.commands import run_command

    raise typer.Exit(run_command(suites, model=model, samples=samples, seed=seed, use_cache=not no_cache,
                                 allow_code=allow_code, executor=executor, db=db, store=not no_store,
                                 outputs={"json": json_out, "junit": junit, "markdown": markdown, "html": html}))


@cache_app.command("info")
def cache_info() -> None:
    """Show where the generation cache is and how big it is."""
    from harness.cache import GenerationCache

    stats = GenerationCache(_project().cache_dir).stats()
    typer.echo(f"{stats.path}\n{stats.entries} generations, {stats.bytes / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Delete every cached generation."""
    from harness.cache import GenerationCache

    cache = GenerationCache(_project().cache_dir)
    if not yes and not typer.confirm(f"Clear {cache.stats().entries} cached generations?"):
        raise typer.Exit(1)
    typer.echo(f"cleared {cache.clear()} generations")


def main(argv: Optional[list[str]] = None) -> None:
    """Console entry point: maps errors to exit codes (2 usage/config, 3 infrastructure)."""
    import click

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        code = app(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        from rich.console import Console
        from rich.markup import escape

        kind = "infrastructure error" if exc.exit_code == EXIT_INFRA else "error"
        Console(stderr=True).print(f"[red]{kind}:[/red] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

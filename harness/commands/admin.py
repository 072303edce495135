"""The small commands: ``harness report`` (a stored run or comparison as HTML) and ``harness models list``."""

from __future__ import annotations

from pathlib import Path


def report_command(ref: str | None, html: Path, db: str | None) -> str:
    """Render a stored run or comparison (default: the latest comparison) to ``html``; the message to print."""
    from harness.project.config import load_project_config
    from harness.reporters.files import write_text
    from harness.reporters.html import render_stored_html
    from harness.store import Store

    write_text(html, render_stored_html(Store(db or load_project_config().database), ref))
    return f"wrote {html}"


def model_lines() -> list[str]:
    """One line per model name usable as a spec (built-in and from harness.yaml), the default marked."""
    from harness.project.config import BUILTIN_MODELS, load_project_config, resolve_model

    project = load_project_config()
    lines = []
    for name in sorted(set(BUILTIN_MODELS) | set(project.models)):
        spec = resolve_model(name, project)
        options = {k: v for k, v in spec.options.items() if k != "harness_dir"}
        marker = " (default)" if name == project.default_model else ""
        lines.append(f"{name}{marker}: {spec.backend}:{spec.target} {options if options else ''}".rstrip())
    return lines

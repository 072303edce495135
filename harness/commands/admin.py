"""The small commands: ``harness models list``."""

from __future__ import annotations


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

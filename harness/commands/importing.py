"""``harness import promptfoo|lm-eval``: convert, report what is left out, write the files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from harness.errors import EXIT_USAGE
from harness.importers.output import ImportResult, write_result

DEFAULT_CONFIG = "# harness project written by `harness import`; see docs/import.md.\nsuites: [suites]\n"
MODELS_FILE = "harness.imported.yaml"  # imported models, when the project already has a harness.yaml


def import_command(convert: Callable[[], ImportResult], out: Path, skip_unsupported: bool) -> int:
    """Run one importer; with unsupported parts and no ``--skip-unsupported``, write nothing, exit 2."""
    result = convert()
    for item in result.unsupported:
        print(f"unsupported: {item}", file=sys.stderr)
    if result.unsupported and not skip_unsupported:
        print(f"{len(result.unsupported)} unsupported item(s); nothing written (--skip-unsupported imports"
              " the rest)", file=sys.stderr)
        return EXIT_USAGE
    for item in result.notes:
        print(f"note: {item}", file=sys.stderr)
    if not any(rel.startswith("suites/") and rel.endswith(".yaml") for rel in result.files):
        print("nothing to import", file=sys.stderr)
        return EXIT_USAGE
    if (out / "harness.yaml").exists():
        if "harness.yaml" in result.files:  # never overwrite the project's own configuration
            result.files[MODELS_FILE] = result.files.pop("harness.yaml")
            print(f"note: {out / 'harness.yaml'} exists: the imported models are in {MODELS_FILE};"
                  " copy the entries you want into harness.yaml", file=sys.stderr)
    elif "harness.yaml" not in result.files:
        result.files["harness.yaml"] = DEFAULT_CONFIG
    for path in write_result(result, out):
        print(f"wrote {path}")
    return 0

"""Provenance recorded with every run: library versions and host facts."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

KEY_LIBRARIES = ("harness", "torch", "transformers", "tokenizers", "sentence-transformers", "rouge-score",
                 "jsonschema", "pydantic", "datasets")


def library_versions() -> dict[str, str]:
    """Versions from package metadata (no heavy imports); read once per process."""
    return dict(_library_versions())


@lru_cache(maxsize=1)
def _library_versions() -> dict[str, str]:
    found = {}
    for name in KEY_LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def host_info() -> dict[str, object]:
    return {"hostname": platform.node(), "platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "machine": platform.machine()}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""harness: tells whether it is safe to roll out a new LLM version or a changed prompt.

The extension points users write against are re-exported here (imported on first use,
so ``import harness`` stays light): ``harness.scorer`` registers a python scorer,
``harness.check_type`` a check type, ``harness.backend`` a model backend.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {"scorer": "harness.scoring.checks", "check_type": "harness.scoring.checks",
            "backend": "harness.generation.backends"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")

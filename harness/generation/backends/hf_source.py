"""Where an ``hf`` model comes from, and its cheap identity (hashes of files, never a load).

A target is one of: a local checkpoint folder, a ``.gguf`` file, a Hugging Face Hub id
(optionally with a GGUF file name inside the repo), or the bundled model. Resolving and
fingerprinting only look at files; loading is ``harness.generation.backends.hf``'s business.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigError, InfrastructureError
from harness.generation.backends.bundled import BUNDLED_NAME, bundled_checkpoint_dir, bundled_gguf_path
from harness.generation.backends.filehash import FileHashCache, sha256_text
from harness.generation.backends.gguf import RECIPE_VERSION, converted_checkpoint

SourceKind = Literal["folder", "gguf", "hub", "hub-gguf", "bundled"]

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt")
CONFIG_FILES = ("config.json", "generation_config.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                   "vocab.txt", "merges.txt", "tokenizer.model", "added_tokens.json",
                   "chat_template.jinja", "chat_template.json")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")


@dataclass(frozen=True)
class ModelSource:
    """A resolved target. ``path`` is a local folder or GGUF file; ``repo`` a Hub id."""

    kind: SourceKind
    path: Path | None = None
    repo: str | None = None
    gguf: str | None = None
    revision: str | None = None


def resolve_source(target: str, gguf: str | None = None, revision: str | None = None) -> ModelSource:
    """Classify ``target``; a path that should exist but does not is a ConfigError."""
    if gguf == BUNDLED_NAME or target in (BUNDLED_NAME, ""):
        if target not in (BUNDLED_NAME, "") or (gguf not in (None, BUNDLED_NAME)):
            raise ConfigError(f"the bundled model takes no other target or gguf file (got '{target}')",
                              field="gguf")
        return ModelSource("bundled", path=bundled_gguf_path())
    local = Path(target).expanduser()
    if local.exists():
        return _local_source(local, gguf, revision)
    if target.startswith((".", "/", "~")) or target.endswith(".gguf") or not _HUB_ID.match(target):
        raise ConfigError(f"model path not found: {target}", field="target")
    return ModelSource("hub-gguf" if gguf else "hub", repo=target, gguf=gguf, revision=revision)


def _local_source(local: Path, gguf: str | None, revision: str | None) -> ModelSource:
    if local.is_file():
        if local.suffix != ".gguf":
            raise ConfigError(f"a model file must be a .gguf file, got {local}", field="target")
        return ModelSource("gguf", path=local.resolve(), revision=revision)
    if gguf:
        file = local / gguf
        if not file.is_file():
            raise ConfigError(f"GGUF file '{gguf}' not found in {local}", field="gguf")
        return ModelSource("gguf", path=file.resolve(), revision=revision)
    if not (local / "config.json").is_file():
        raise ConfigError(f"{local} is not a model checkpoint folder (no config.json)", field="target")
    return ModelSource("folder", path=local.resolve(), revision=revision)


def source_fingerprint(source: ModelSource, hashes: FileHashCache) -> dict[str, Any]:
    """Hashes of weights, tokenizer and chat template; never loads a model."""
    if source.kind in ("bundled", "gguf") and source.path is not None:
        return _gguf_fingerprint(source.path, hashes)
    if source.kind == "folder" and source.path is not None:
        return _folder_fingerprint(source.path, hashes)
    return _hub_fingerprint(source, hashes)


def _gguf_fingerprint(file: Path, hashes: FileHashCache) -> dict[str, Any]:
    sha = hashes.sha256(file)
    # Tokenizer and chat template live inside the GGUF file, so its hash covers them.
    return {"weights_sha256": sha, "tokenizer_sha256": sha, "chat_template_sha256": "in-gguf",
            "gguf_conversion": RECIPE_VERSION}


def _folder_fingerprint(folder: Path, hashes: FileHashCache) -> dict[str, Any]:
    weights = [p for p in sorted(folder.iterdir()) if p.suffix in WEIGHT_SUFFIXES or p.name in CONFIG_FILES]
    tokenizer = [folder / name for name in TOKENIZER_FILES if (folder / name).is_file()]
    template = chat_template_text(folder)
    return {"weights_sha256": _combined(weights, hashes),
            "tokenizer_sha256": _combined(tokenizer, hashes) if tokenizer else None,
            "chat_template_sha256": sha256_text(template) if template is not None else None}


def _hub_fingerprint(source: ModelSource, hashes: FileHashCache) -> dict[str, Any]:
    """A Hub model is hashed from the local HF cache; without a local copy only its id counts."""
    local = _hub_local_path(source)
    if local is None:
        return {"weights_sha256": None, "tokenizer_sha256": None, "chat_template_sha256": None,
                "hub_resolved": False}
    if source.kind == "hub-gguf":
        found = {**_gguf_fingerprint(local, hashes)}
    else:
        found = _folder_fingerprint(local, hashes)
    # HF cache layout: .../snapshots/<commit>/...; the commit is the true revision.
    parts = local.parts
    if "snapshots" in parts:
        found["hub_commit"] = parts[parts.index("snapshots") + 1]
    return found


def _hub_local_path(source: ModelSource) -> Path | None:
    try:
        from huggingface_hub import snapshot_download, try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    try:
        if source.kind == "hub-gguf":
            found = try_to_load_from_cache(source.repo or "", source.gguf or "", revision=source.revision)
            return Path(found) if isinstance(found, str) else None
        return Path(snapshot_download(source.repo or "", revision=source.revision, local_files_only=True))
    except Exception:
        return None


def _combined(files: list[Path], hashes: FileHashCache) -> str:
    lines = "\n".join(f"{p.name}:{hashes.sha256(p)}" for p in files)
    return sha256_text(lines)


def chat_template_text(folder: Path) -> str | None:
    """The chat template a folder's tokenizer would use, read from its files."""
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text()
    for name, key in (("chat_template.json", "chat_template"), ("tokenizer_config.json", "chat_template")):
        try:
            value = json.loads((folder / name).read_text()).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if value:
            return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return None


def loadable_path(source: ModelSource, harness_dir: Path, hashes: FileHashCache) -> str:
    """A folder or Hub id that ``from_pretrained`` can load; converts GGUF files once."""
    if source.kind == "bundled":
        assert source.path is not None
        return str(converted_checkpoint(source.path, bundled_checkpoint_dir(harness_dir), hashes))
    if source.kind == "gguf":
        assert source.path is not None
        return str(_converted(source.path, harness_dir, hashes))
    if source.kind == "hub-gguf":
        return str(_converted(_download_gguf(source), harness_dir, hashes))
    if source.kind == "folder":
        return str(source.path)
    return source.repo or ""


def _converted(gguf_file: Path, harness_dir: Path, hashes: FileHashCache) -> Path:
    dest = Path(harness_dir) / "models" / f"gguf-{hashes.sha256(gguf_file)[:16]}"
    return converted_checkpoint(gguf_file, dest, hashes)


def _download_gguf(source: ModelSource) -> Path:
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(source.repo or "", source.gguf or "", revision=source.revision))
    except Exception as exc:
        raise InfrastructureError(f"cannot download {source.gguf} from {source.repo}: {exc}") from exc

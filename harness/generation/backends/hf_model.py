"""Loading a transformers causal LM for the ``hf`` backend, and encoding prompts for it.

Only ``harness.generation.backends.hf`` calls this, on the first ``generate``: importing torch and
transformers and reading weights are what a fully cached run must avoid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigError, InfrastructureError
from harness.generation.backends.batching import ModelShape
from harness.generation.backends.rows import DecodeSetup
from harness.types import RenderedPrompt

DType = Literal["float32", "bfloat16", "float16"]
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


@dataclass(frozen=True)
class LoadSettings:
    """How to load: where from, numeric type, device, and the optional int8 variant."""

    path: str
    revision: str | None
    dtype: DType
    device: str
    quantize: Literal["int8"] | None


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to decode, with what the decoding loop needs from its tokenizer."""

    model: Any
    tokenizer: Any
    setup: DecodeSetup
    shape: ModelShape
    max_positions: int | None
    device: str

    def encode(self, prompt: RenderedPrompt) -> list[int]:
        """Token ids: the chat template when the tokenizer has one, else the plain text."""
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template(prompt.as_dicts(), tokenize=False, add_generation_prompt=True)
            ids = list(tok(text, add_special_tokens=False)["input_ids"])
        else:
            ids = list(tok(prompt.text)["input_ids"])
        if not ids and tok.bos_token_id is not None:
            ids = [tok.bos_token_id]
        return ids


def resolve_device(requested: str) -> str:
    """``auto`` becomes cuda when a GPU is usable, else cpu; avoids importing torch when it can."""
    if requested != "auto":
        return requested
    try:
        if "+cpu" in version("torch"):
            return "cpu"
    except PackageNotFoundError:
        return "cpu"
    if not any(Path("/dev").glob("nvidia[0-9]*")):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(settings: LoadSettings) -> LoadedModel:
    """Load tokenizer and model; a model that cannot load is an InfrastructureError."""
    torch, transformers = _import_stack()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(settings.path, revision=settings.revision)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            settings.path, revision=settings.revision, dtype=getattr(torch, settings.dtype))
    except Exception as exc:
        raise InfrastructureError(f"cannot load model '{settings.path}': {exc}") from exc
    model.eval()
    model.to(settings.device)
    if settings.quantize == "int8":
        model = quantize_int8(model)
    return LoadedModel(model=model, tokenizer=tokenizer, setup=_decode_setup(model, tokenizer),
                       shape=_shape(model.config, settings.dtype),
                       max_positions=getattr(model.config, "max_position_embeddings", None)
                       or getattr(model.config, "n_positions", None),
                       device=settings.device)


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every nn.Linear (weights int8, activations quantized per call)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch.ao quantization is deprecated upstream; it still works here
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.ao\..*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _import_stack() -> tuple[Any, Any]:
    try:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
    except ImportError as exc:
        raise ConfigError(
            f"the hf backend needs torch and transformers: pip install 'harness[models]' ({exc})") from exc
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers


def _decode_setup(model: Any, tokenizer: Any) -> DecodeSetup:
    eos: set[int] = set()
    for value in (getattr(model.generation_config, "eos_token_id", None), tokenizer.eos_token_id):
        if isinstance(value, int):
            eos.add(value)
        elif isinstance(value, (list, tuple)):
            eos.update(int(v) for v in value)
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = getattr(model.generation_config, "pad_token_id", None)
    if pad is None:
        pad = min(eos) if eos else 0

    def decode(ids: Any) -> str:
        return tokenizer.decode(list(ids), skip_special_tokens=True)

    return DecodeSetup(pad_token_id=int(pad), eos_token_ids=frozenset(eos), decode=decode)


def _shape(config: Any, dtype: str) -> ModelShape:
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", 1)
    hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd", 64)
    return ModelShape(
        layers=getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", 1),
        kv_heads=getattr(config, "num_key_value_heads", None) or heads,
        head_dim=getattr(config, "head_dim", None) or hidden // heads,
        dtype_bytes=DTYPE_BYTES[dtype])

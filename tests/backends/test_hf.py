"""The hf backend on tiny local models (fast) and the bundled SmolLM2 (slow)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.generation.backends.base import BACKENDS, ModelSpec
from harness.generation.backends.batching import ModelShape, auto_batch_size
from harness.generation.backends.hf import HFBackend
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt
from tests.backends.single_thread import one_torch_thread  # noqa: F401 - autouse: one torch thread
from tests.support.tiny_models import tiny_gpt2_dir, tiny_llama_dir  # noqa: F401 - fixtures

QUESTIONS = [
    "The capital of France is",
    "A quick brown fox",
    "Question: what is two plus two? Answer:",
    "Models generate text one token at a time, left to right, and",
    "Seeds",
    "def add(a, b):",
    "The lazy dog sleeps while the cat",
    "Greedy decoding picks the most likely token; sampling with a seed",
]




def request(text: str, i: int, *, system: str | None = None, **params: object) -> GenerationRequest:
    messages = ((Message("system", system),) if system else ()) + (Message("user", text),)
    return GenerationRequest(case_id=f"c{i}", sample=0, prompt=RenderedPrompt(messages, text),
                             params=GenParams(**{"max_new_tokens": 12, **params}), seed=1000 + i)


def backend_for(path: Path | str, tmp_path: Path, **options: object) -> HFBackend:
    return HFBackend(ModelSpec("hf", str(path), {"harness_dir": str(tmp_path / "h"), "device": "cpu",
                                                 **options}))


def outputs(backend: HFBackend, requests: list[GenerationRequest]) -> list[str]:
    got = dict(backend.generate(requests))
    assert sorted(got) == list(range(len(requests)))
    assert all(g.error is None for g in got.values()), [g.error for g in got.values()]
    return [got[i].output for i in range(len(requests))]


@pytest.fixture(params=["llama", "gpt2"])
def tiny_dir(request: pytest.FixtureRequest, tiny_llama_dir: Path, tiny_gpt2_dir: Path) -> Path:  # noqa: F811
    return tiny_llama_dir if request.param == "llama" else tiny_gpt2_dir


def test_registered_under_hf() -> None:
    assert BACKENDS.get("hf") is HFBackend


def test_greedy_is_identical_for_batch_1_and_batch_n(tiny_dir: Path, tmp_path: Path) -> None:
    requests = [request(q, i, max_new_tokens=16) for i, q in enumerate(QUESTIONS)]
    one = outputs(backend_for(tiny_dir, tmp_path, batch_size=1), requests)
    many = outputs(backend_for(tiny_dir, tmp_path, batch_size=len(requests)), requests)
    three = outputs(backend_for(tiny_dir, tmp_path, batch_size=3), requests)
    assert one == many == three
    assert len(set(one)) > 1  # prompts of different lengths give different answers


def test_token_ids_identical_across_batch_shapes(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from harness.generation.backends.decoding import decode_batch
    from harness.generation.backends.rows import RowSpec

    backend = backend_for(tiny_llama_dir, tmp_path)
    model = backend._model()
    rows = [RowSpec(tuple(model.encode(request(q, i).prompt)), 20) for i, q in enumerate(QUESTIONS)]
    alone = [decode_batch(model.model, [row], model.setup)[0].token_ids for row in rows]
    together = [r.token_ids for r in decode_batch(model.model, rows, model.setup)]
    assert alone == together
    assert len({len(r.prompt_ids) for r in rows}) > 1  # mixed prompt lengths: left padding is used


def test_order_does_not_change_outputs(tiny_dir: Path, tmp_path: Path) -> None:
    requests = [request(q, i) for i, q in enumerate(QUESTIONS)]
    backend = backend_for(tiny_dir, tmp_path, batch_size=4)
    forward = outputs(backend, requests)
    backward = outputs(backend, requests[::-1])
    assert forward == backward[::-1]


def test_stop_sequence_truncates_output(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_llama_dir, tmp_path)
    full = outputs(backend, [request(QUESTIONS[0], 0, max_new_tokens=24)])[0]
    assert len(full) > 6
    stop = full[3:6]
    cut = full.index(stop)
    got = dict(backend.generate([request(QUESTIONS[0], 0, max_new_tokens=24, stop=(stop,))]))[0]
    assert got.output == full[:cut]
    assert got.meta["finish"] == "stop"
    assert got.new_tokens is not None and got.new_tokens < 24


def test_sampling_is_reproducible_and_independent_of_batch(tiny_dir: Path, tmp_path: Path) -> None:
    sampled = [request(q, i, max_new_tokens=16, temperature=1.0, top_p=0.95, top_k=50)
               for i, q in enumerate(QUESTIONS)]
    alone = [outputs(backend_for(tiny_dir, tmp_path, batch_size=1), [r])[0] for r in sampled[:4]]
    batched = outputs(backend_for(tiny_dir, tmp_path, batch_size=8), sampled)
    again = outputs(backend_for(tiny_dir, tmp_path, batch_size=3), sampled[::-1])[::-1]
    assert batched[:4] == alone
    assert batched == again


def test_different_seeds_give_different_samples(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_llama_dir, tmp_path)
    base = request(QUESTIONS[0], 0, max_new_tokens=16, temperature=1.5)
    draws = [GenerationRequest(base.case_id, k, base.prompt, base.params, seed=k) for k in range(6)]
    assert len(set(outputs(backend, draws))) > 1


def test_mixed_greedy_and_sampled_rows_in_one_batch(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    greedy = [request(q, i) for i, q in enumerate(QUESTIONS[:4])]
    sampled = [request(q, i, temperature=0.8) for i, q in enumerate(QUESTIONS[4:])]
    backend = backend_for(tiny_llama_dir, tmp_path, batch_size=8)
    mixed = outputs(backend, greedy + sampled)
    assert mixed[:4] == outputs(backend, greedy)
    assert mixed[4:] == outputs(backend, sampled)


def test_chat_template_uses_the_prompts_system_message(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_llama_dir, tmp_path)
    model = backend._model()
    with_system = model.tokenizer.decode(model.encode(request("hi", 0, system="Be terse.").prompt))
    without = model.tokenizer.decode(model.encode(request("hi", 0).prompt))
    assert "<|system|>Be terse." in with_system and "tiny model" not in with_system
    assert "<|system|>You are a tiny model." in without
    assert with_system.endswith("<|assistant|>")


def test_plain_text_prompt_without_template(tiny_gpt2_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    model = backend_for(tiny_gpt2_dir, tmp_path)._model()
    prompt = request("The capital of France is", 0, system="ignored by plain text").prompt
    assert model.tokenizer.decode(model.encode(prompt)) == "The capital of France is"


def test_int8_quantization_replaces_linear_layers_and_generates(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import torch

    requests = [request(q, i, max_new_tokens=16) for i, q in enumerate(QUESTIONS)]
    quantized = backend_for(tiny_llama_dir, tmp_path, quantize="int8")
    got = outputs(quantized, requests)
    model = quantized._model().model
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    assert any("quantized" in type(m).__module__ for m in model.modules())
    assert all(isinstance(text, str) for text in got)
    plain = backend_for(tiny_llama_dir, tmp_path)
    assert quantized.fingerprint() != plain.fingerprint()
    assert got != outputs(plain, requests)


def test_int8_on_gpu_or_with_bf16_is_a_config_error(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(ConfigError, match="float32"):
        backend_for(tiny_llama_dir, tmp_path, quantize="int8", dtype="bfloat16")
    with pytest.raises(ConfigError, match="CPU only"):
        backend_for(tiny_llama_dir, tmp_path, quantize="int8", device="cuda")
    assert backend_for(tiny_llama_dir, tmp_path, quantize="int8", device="auto").device == "cpu"


def test_bfloat16_generates_and_changes_fingerprint(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import torch

    backend = backend_for(tiny_llama_dir, tmp_path, dtype="bf16")
    got = outputs(backend, [request(q, i) for i, q in enumerate(QUESTIONS[:3])])
    assert all(isinstance(t, str) for t in got)
    assert next(backend._model().model.parameters()).dtype == torch.bfloat16
    assert backend.fingerprint()["dtype"] == "bfloat16"


def test_fingerprint_is_cheap_and_never_loads(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_llama_dir, tmp_path)
    first = backend.fingerprint()
    assert not backend.loaded
    started = time.perf_counter()
    second = backend_for(tiny_llama_dir, tmp_path).fingerprint()
    assert time.perf_counter() - started < 0.2
    assert first == second
    assert first["weights_sha256"] and first["chat_template_sha256"] and first["tokenizer_sha256"]
    assert (tmp_path / "h" / "file-hashes.json").is_file()


def test_fingerprint_changes_when_weights_change(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    copy = tmp_path / "copy"
    shutil.copytree(tiny_llama_dir, copy)
    before = backend_for(copy, tmp_path).fingerprint()
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    after = backend_for(copy, tmp_path).fingerprint()
    assert before["weights_sha256"] != after["weights_sha256"]
    assert before["tokenizer_sha256"] == after["tokenizer_sha256"]


def test_fingerprint_without_importing_torch(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import subprocess

    code = ("import sys; from harness.generation.backends.base import ModelSpec; "
            "from harness.generation.backends.hf import HFBackend;"
            f"b = HFBackend(ModelSpec('hf', {str(tiny_llama_dir)!r}, {{'harness_dir': {str(tmp_path)!r}}}));"
            "b.fingerprint(); print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        backend_for(tmp_path / "nope", tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        backend_for("./checkpoints/v2", tmp_path)
    with pytest.raises(ConfigError, match="not a model checkpoint"):
        backend_for(tmp_path, tmp_path)


def test_unknown_option_is_a_config_error(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(ConfigError, match="quantize"):
        backend_for(tiny_llama_dir, tmp_path, quantize="int4")
    with pytest.raises(ConfigError, match="dtyp"):
        backend_for(tiny_llama_dir, tmp_path, dtyp="float32")


def test_unloadable_model_is_an_infrastructure_error(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from harness.errors import InfrastructureError

    broken = tmp_path / "broken"
    shutil.copytree(tiny_llama_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InfrastructureError, match="cannot load model"):
        list(backend_for(broken, tmp_path).generate([request("hi", 0)]))


def test_too_long_prompt_is_a_per_request_error(tiny_gpt2_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_gpt2_dir, tmp_path)
    got = dict(backend.generate([request("word " * 600, 0), request(QUESTIONS[0], 1)]))
    assert got[0].error and "context" in got[0].error
    assert got[1].error is None and got[1].output


def test_generation_records_tokens_and_latency(tiny_gpt2_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    got = dict(backend_for(tiny_gpt2_dir, tmp_path).generate([request(QUESTIONS[1], 0, max_new_tokens=7)]))[0]
    assert got.new_tokens is not None and 1 <= got.new_tokens <= 7
    assert got.latency_s > 0


def test_auto_batch_size_respects_memory() -> None:
    shape = ModelShape(layers=30, kv_heads=3, head_dim=64, dtype_bytes=4)
    assert auto_batch_size(shape, 512, "cpu", free_bytes=64 << 30) == 32
    small = auto_batch_size(shape, 512, "cpu", free_bytes=64 << 20)
    assert 1 <= small < 32
    assert auto_batch_size(shape, 512, "cuda", free_bytes=80 << 30) > 32


@pytest.fixture(scope="session")
def bundled_harness_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A harness dir whose machine model cache (HARNESS_CACHE_HOME, a fresh folder) holds the
    converted bundled model, and how long the conversion took."""
    from harness.generation.backends.bundled import bundled_model_path

    harness_dir = tmp_path_factory.mktemp("bundled")
    os.environ["HARNESS_CACHE_HOME"] = str(tmp_path_factory.mktemp("machine-cache"))
    started = time.perf_counter()
    bundled_model_path(harness_dir)
    return harness_dir, time.perf_counter() - started


@pytest.mark.slow
def test_bundled_model_conversion_and_reload(bundled_harness_dir: tuple[Path, float]) -> None:
    from harness.generation.backends.bundled import bundled_model_path

    tmp_path, took = bundled_harness_dir
    path = bundled_model_path(tmp_path)
    assert (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()
    assert "quantization_config" not in (path / "config.json").read_text()
    assert took > 1  # a real conversion happened
    again = time.perf_counter()
    assert bundled_model_path(tmp_path) == path
    assert time.perf_counter() - again < 1
    assert not [p for p in path.parent.iterdir() if p.is_dir() and p.name.startswith(".")]  # no temp folders
    second_project = tmp_path / "second-project"
    again = time.perf_counter()
    assert bundled_model_path(second_project) == path  # a second project reuses the machine's copy
    assert time.perf_counter() - again < 1
    assert not (second_project / "models").exists()
    backend = HFBackend(ModelSpec("hf", "", {"gguf": "bundled-smollm2", "harness_dir": str(tmp_path)}))
    loaded_at = time.perf_counter()
    got = outputs(backend, [request("What is the capital of France?", 0, max_new_tokens=12)])
    assert "Paris" in got[0]
    assert time.perf_counter() - loaded_at < 30


@pytest.mark.slow
def test_bundled_model_batch_1_equals_batch_n(bundled_harness_dir: tuple[Path, float]) -> None:
    harness_dir = bundled_harness_dir[0]
    questions = ["What is the capital of France?", "Write a haiku about autumn leaves.",
                 "List three prime numbers.", "Why is the sky blue? Answer in one sentence.",
                 "Who wrote Hamlet?", "Name a mammal that can fly.",
                 "Summarize the plot of Cinderella briefly.", "What is 17 times 3?"]
    requests = [request(q, i, max_new_tokens=32) for i, q in enumerate(questions)]
    spec = {"harness_dir": str(harness_dir), "device": "cpu"}
    batched = HFBackend(ModelSpec("hf", "bundled-smollm2", {**spec, "batch_size": 8}))
    single = HFBackend(ModelSpec("hf", "bundled-smollm2", {**spec, "batch_size": 1}))
    single._loaded = batched._model()  # same weights, no second load
    assert outputs(batched, requests) == outputs(single, requests)


def test_top_k_1_and_tiny_top_p_sample_the_greedy_answer(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    backend = backend_for(tiny_llama_dir, tmp_path)
    greedy = outputs(backend, [request(q, i, max_new_tokens=16) for i, q in enumerate(QUESTIONS[:4])])
    top_k = outputs(backend, [request(q, i, max_new_tokens=16, temperature=2.0, top_k=1)
                              for i, q in enumerate(QUESTIONS[:4])])
    top_p = outputs(backend, [request(q, i, max_new_tokens=16, temperature=2.0, top_p=1e-6)
                              for i, q in enumerate(QUESTIONS[:4])])
    free = outputs(backend, [request(q, i, max_new_tokens=16, temperature=2.0) for i, q in enumerate(QUESTIONS[:4])])
    assert greedy == top_k == top_p
    assert free != greedy

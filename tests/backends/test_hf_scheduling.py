"""Prefill sharing and continuous batching in the hf backend: faster, never different.

Every test compares outputs with both switches on against both off (the plain loop: fixed
batches, every prompt prefilled in full) on tiny local models of several architectures; a
slow test does the same on the bundled SmolLM2.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.generation.backends.rows import DecodePlan, RowSpec
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt
from tests.backends.single_thread import one_torch_thread  # noqa: F401 - autouse: one torch thread
from tests.backends.test_hf import QUESTIONS, backend_for, outputs, request
from tests.support.tiny_models import build_tiny_mistral, tiny_gpt2_dir, tiny_llama_dir  # noqa: F401 - fixtures

OFF = {"continuous_batching": False, "prefill_sharing": False}
MODES = [{}, {"continuous_batching": False}, {"prefill_sharing": False}]  # {} = both on (the default)




@pytest.fixture(scope="module")
def tiny_mistral_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sliding-window model: its cache rows cannot be moved, so both switches fall back."""
    return build_tiny_mistral(tmp_path_factory.mktemp("tiny-mistral"))


@pytest.fixture(params=["llama", "gpt2", "mistral"])
def any_dir(request: pytest.FixtureRequest, tiny_llama_dir: Path, tiny_gpt2_dir: Path,  # noqa: F811
            tiny_mistral_dir: Path) -> Path:
    return {"llama": tiny_llama_dir, "gpt2": tiny_gpt2_dir, "mistral": tiny_mistral_dir}[request.param]


def k_samples(k: int = 4, **params: object) -> list[GenerationRequest]:
    """``k`` seeded samples of each question, ragged lengths, like a sampled suite run."""
    out = []
    for i, question in enumerate(QUESTIONS):
        prompt = RenderedPrompt((Message("user", question),), question)
        for s in range(k):
            merged = {"max_new_tokens": 4 + (5 * i + 3 * s) % 17, "temperature": 1.0, "top_p": 0.95, **params}
            out.append(GenerationRequest(case_id=f"c{i}", sample=s, prompt=prompt, params=GenParams(**merged),
                                         seed=100 * i + s))
    return out


def run_modes(path: Path, tmp_path: Path, requests: list[GenerationRequest], batch_size: int,
              modes: list[dict] = MODES) -> list[list[str]]:
    """Outputs with both switches off first, then each of ``modes``; one loaded model for all."""
    first = backend_for(path, tmp_path, batch_size=batch_size, **OFF)
    results = [outputs(first, requests)]
    for mode in modes:
        backend = backend_for(path, tmp_path, batch_size=batch_size, **mode)
        backend._loaded = first._model()
        results.append(outputs(backend, requests))
    return results


@pytest.mark.parametrize("batch_size", [3, 8])
def test_sampled_k_samples_identical_on_and_off(any_dir: Path, tmp_path: Path, batch_size: int) -> None:
    off, *on = run_modes(any_dir, tmp_path, k_samples(), batch_size)
    assert all(mode == off for mode in on)
    assert len(set(off)) > len(QUESTIONS)  # the samples of one prompt differ


def test_greedy_identical_on_and_off_with_ragged_lengths(any_dir: Path, tmp_path: Path) -> None:
    requests = [request(q, i, max_new_tokens=3 + 7 * i % 20) for i, q in enumerate(QUESTIONS * 2)]
    off, *on = run_modes(any_dir, tmp_path, requests, 3)
    assert all(mode == off for mode in on)
    alone = outputs(backend_for(any_dir, tmp_path, batch_size=1, **OFF), requests[:5])
    assert off[:5] == alone


def test_shared_system_prompt_and_mixed_params(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    system = "You answer in one short sentence and never repeat the question."  # a long common prefix
    requests = [request(q, i, system=system, max_new_tokens=6 + i, temperature=0.7 * (i % 2), top_k=20 * (i % 3),
                        stop=(("e",) if i % 4 == 0 else ())) for i, q in enumerate(QUESTIONS)]
    off, *on = run_modes(tiny_llama_dir, tmp_path, requests, 4)
    assert all(mode == off for mode in on)


def test_k_samples_prefill_once_and_shared_prefix_runs_once(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from harness.generation.backends.prefill import Prefiller

    model = backend_for(tiny_llama_dir, tmp_path)._model()
    prompts = [tuple(model.encode(request(q, 0).prompt)) for q in QUESTIONS[:2]]
    specs = [RowSpec(prompts[i // 3], 5, temperature=1.0, seed=i) for i in range(6)]
    shared = Prefiller(model.model, specs, model.setup.pad_token_id, share=True, movable=True)
    plain = Prefiller(model.model, specs, model.setup.pad_token_id, share=False, movable=True)
    assert len(shared.prefix) >= 4  # the chat template's default system message
    first = shared([0, 1, 2, 3])  # prompt 0 three times, prompt 1 once: one prefix pass, one prefill
    assert shared.forwards == 2 and first.rows == [0, 1, 2, 3]
    later = shared([4, 5])  # prompt 1 again: from the memo, no forward pass
    assert shared.forwards == 2 and not shared.memo
    reference = plain([0, 1, 2, 3, 4, 5])
    got = [*first.logits.argmax(-1).tolist(), *later.logits.argmax(-1).tolist()]
    assert got == reference.logits.argmax(-1).tolist()
    assert (first.last_pos.squeeze(1).tolist() + later.last_pos.squeeze(1).tolist()
            == reference.last_pos.squeeze(1).tolist())


def test_shared_prefix_is_common_and_leaves_a_token() -> None:
    from harness.generation.backends.prefill import shared_prefix

    assert shared_prefix([(1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 5, 7), (1, 2, 3, 4, 5, 6)]) == (1, 2, 3, 4, 5)
    assert shared_prefix([(1, 2, 3, 4, 5), (1, 2, 3, 4, 5)]) == (1, 2, 3, 4)  # one token left to prefill
    assert shared_prefix([(1, 2, 3, 9, 9, 9), (1, 2, 3, 4, 5, 6)]) == ()  # under MIN_SHARED_PREFIX
    assert shared_prefix([]) == ()


def test_continuous_batching_refills_slots(tiny_llama_dir: Path, tmp_path: Path,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.generation.backends import decoding

    model = backend_for(tiny_llama_dir, tmp_path)._model()
    setup = dataclasses.replace(model.setup, eos_token_ids=frozenset())  # every row runs to its length
    prompts = [tuple(model.encode(request(q, 0).prompt)) for q in QUESTIONS[:4]]
    rows = [RowSpec(p, n) for p, n in zip(prompts, [2, 20, 2, 20])]
    steps: list[int] = []
    monkeypatch.setattr(decoding, "progress_tokens", steps.append)
    off = list(decoding.decode_stream(model.model, rows, setup, DecodePlan(slots=2)))
    off_steps, steps[:] = list(steps), []
    on = list(decoding.decode_stream(model.model, rows, setup, DecodePlan(slots=2, continuous=True)))
    assert sum(off_steps) == sum(steps) == 44  # one tick per row per token
    assert len(steps) < len(off_steps) == 40
    assert max(steps) == 2  # never more rows than slots
    assert {k: r.token_ids for k, r in on} == {k: r.token_ids for k, r in off}
    assert [k for k, _ in on][:2] == [0, 2]  # short rows are yielded as soon as they finish


def test_out_of_memory_halves_slots_and_keeps_outputs(tiny_llama_dir: Path, tmp_path: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.generation.backends import decoding

    requests = k_samples(2, max_new_tokens=6)
    backend = backend_for(tiny_llama_dir, tmp_path, batch_size=8)
    expected = outputs(backend, requests)
    real = decoding.decode_stream
    seen: list[int] = []

    def flaky(model, rows, setup, plan):  # type: ignore[no-untyped-def]
        seen.append(plan.slots)
        for count, item in enumerate(real(model, rows, setup, plan)):
            if plan.slots > 2 and count == 3:
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            yield item

    monkeypatch.setattr(decoding, "decode_stream", flaky)
    assert outputs(backend, requests) == expected
    assert seen == [8, 4, 2]


def test_out_of_memory_in_a_single_slot_fails_that_row_only(tiny_llama_dir: Path, tmp_path: Path,  # noqa: F811
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.generation.backends import decoding

    def always(model, rows, setup, plan):  # type: ignore[no-untyped-def]
        raise MemoryError("out of memory")
        yield  # a generator, like the real one

    monkeypatch.setattr(decoding, "decode_stream", always)
    got = dict(backend_for(tiny_llama_dir, tmp_path, batch_size=2).generate([request(q, i) for i, q in
                                                                              enumerate(QUESTIONS[:3])]))
    assert sorted(got) == [0, 1, 2]
    assert all(g.error and "out of memory" in g.error for g in got.values())


def test_switches_are_validated_and_leave_the_fingerprint(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    with pytest.raises(ConfigError, match="continuous_batching"):
        backend_for(tiny_llama_dir, tmp_path, continuous_batching="sometimes")
    off = backend_for(tiny_llama_dir, tmp_path, **OFF)
    assert off.options.continuous_batching is False and off.options.prefill_sharing is False
    assert off.fingerprint() == backend_for(tiny_llama_dir, tmp_path).fingerprint()  # same outputs, same cache


def test_generation_meta_and_tokens(tiny_gpt2_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    got = dict(backend_for(tiny_gpt2_dir, tmp_path, batch_size=2).generate(k_samples(2)[:6]))
    assert all(g.latency_s > 0 and g.meta["batch_rows"] >= 1 for g in got.values())
    assert all(g.new_tokens is not None and g.new_tokens >= 1 for g in got.values())


@pytest.mark.slow
def test_bundled_model_identical_on_and_off(bundled_checkpoint: Path, tmp_path: Path) -> None:
    """SmolLM2: five seeded samples of each prompt plus greedy rows, ragged lengths: both switches on vs
    both off (each switch alone is covered on the tiny models)."""
    path = bundled_checkpoint
    questions = ["What is the capital of France?", "Write a haiku about autumn leaves.",
                 "List three prime numbers.", "Why is the sky blue? Answer in one sentence."]
    sampled = [GenerationRequest(f"c{i}", s, RenderedPrompt((Message("user", q),), q),
                                 GenParams(max_new_tokens=8 + 9 * s, temperature=0.8, top_p=0.95), seed=10 * i + s)
               for i, q in enumerate(questions) for s in range(5)]
    greedy = [request(q, i, max_new_tokens=24) for i, q in enumerate(questions)]
    off, on = run_modes(path, tmp_path, sampled + greedy, 8, modes=[{}])
    assert on == off

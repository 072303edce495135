"""Prefill sharing and continuous batching, measured side by side (part of ``bench_generation``).

Two tables, each row's configurations run interleaved on one loaded model (the fastest repeat counts):

a) K samples per prompt (sampled, seeded): useful tokens/s of
   - ceiling:  HF ``model.generate(num_return_sequences=K, do_sample=True)``, batched (batch/K prompts a call)
   - today:    ``HFBackend`` with ``prefill_sharing: false, continuous_batching: false``
   - harness:  ``HFBackend`` with both on (the default)
   Useful tokens: generated ids up to and including the first EOS (what a loop must produce).
b) Ragged outputs (greedy, max_new_tokens cycling over --ragged-lengths): continuous batching vs
   drop-finished-rows batching (prefill sharing on in both), outputs checked identical.

    python -m benchmarks.bench_generation --scheduling-only --quick
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from harness.generation.backends.base import ModelSpec
from harness.generation.backends.hf import HFBackend
from harness.generation.backends.hf_model import LoadedModel
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt

OFF = {"prefill_sharing": False, "continuous_batching": False}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The scheduling benchmark's options (shared with ``bench_generation``)."""
    parser.add_argument("--k", type=int, default=5, help="samples per prompt in table (a)")
    parser.add_argument("--k-prompts", type=int, default=8, help="prompts in table (a)")
    parser.add_argument("--k-max-new-tokens", type=int, default=64)
    parser.add_argument("--k-batch", type=int, default=20, help="rows decoding at once in table (a)")
    parser.add_argument("--ragged-prompts", type=int, default=24)
    parser.add_argument("--ragged-lengths", default="8,256,32,128,16,64", help="max_new_tokens, cycled")
    parser.add_argument("--ragged-batch", type=int, default=8)


def quick(args: argparse.Namespace) -> None:
    """A few minutes on two busy cores."""
    args.k_prompts, args.k_max_new_tokens, args.k_batch = 4, 32, 10
    args.ragged_prompts, args.ragged_lengths, args.ragged_batch = 12, "8,64,16,48", 4


def sampled_requests(qs: list[str], k: int, max_new: int) -> list[GenerationRequest]:
    """``k`` seeded samples of each question (temperature 0.8, top-p 0.95), like ``--samples k``."""
    params = GenParams(max_new_tokens=max_new, temperature=0.8, top_p=0.95)
    return [GenerationRequest(case_id=f"q{i}", sample=s, prompt=RenderedPrompt((Message("user", q),), q),
                              params=params, seed=1000 * i + s) for i, q in enumerate(qs) for s in range(k)]


def ragged_requests(qs: list[str], lengths: list[int]) -> list[GenerationRequest]:
    """Greedy requests whose max_new_tokens cycle over ``lengths``."""
    return [GenerationRequest(case_id=f"r{i}", sample=0, prompt=RenderedPrompt((Message("user", q),), q),
                              params=GenParams(max_new_tokens=lengths[i % len(lengths)]), seed=i)
            for i, q in enumerate(qs)]


def hf_generate_k(model: LoadedModel, ids: list[list[int]], k: int, batch: int, max_new: int) -> tuple[int, float]:
    """The ceiling: ``model.generate(num_return_sequences=k, do_sample=True)``, batch // k prompts a call."""
    import torch

    from benchmarks.bench_generation import useful_tokens

    tok, per_call = model.tokenizer, max(1, batch // k)
    tok.padding_side = "left"
    tokens, started = 0, time.perf_counter()
    torch.manual_seed(0)
    for start in range(0, len(ids), per_call):
        enc = tok.pad({"input_ids": ids[start:start + per_call]}, return_tensors="pt")
        with torch.inference_mode():
            gen = model.model.generate(**enc, max_new_tokens=max_new, do_sample=True, temperature=0.8, top_p=0.95,
                                       top_k=0, num_return_sequences=k, pad_token_id=model.setup.pad_token_id)
        tokens += sum(len(useful_tokens(row, model.setup.eos_token_ids, max_new))
                      for row in gen[:, enc["input_ids"].shape[1]:].tolist())
    return tokens, time.perf_counter() - started


def backend_with(model: LoadedModel, base: dict[str, Any], **options: Any) -> HFBackend:
    """A backend sharing the loaded model."""
    backend = HFBackend(ModelSpec("hf", base["path"], {**base["options"], **options}))
    backend._loaded = model
    return backend


def timed(backend: HFBackend, requests: list[GenerationRequest]) -> tuple[int, float, list[str]]:
    """Useful tokens (new_tokens counts the EOS), seconds, and the outputs in request order."""
    started = time.perf_counter()
    got = dict(backend.generate(requests))
    took = time.perf_counter() - started
    return sum(g.new_tokens or 0 for g in got.values()), took, [got[i].output for i in range(len(requests))]


def run(model: LoadedModel, path: str, options: dict[str, Any], qs_for: Any, args: argparse.Namespace) -> None:
    """Measure and print both tables."""
    base = {"path": path, "options": options}
    k_qs = qs_for(args.k_prompts)
    k_reqs = sampled_requests(k_qs, args.k, args.k_max_new_tokens)
    k_ids = [model.encode(r.prompt) for r in k_reqs[::args.k]]
    today = backend_with(model, base, batch_size=args.k_batch, **OFF)
    harness = backend_with(model, base, batch_size=args.k_batch)
    measures = {"ceiling": lambda: (*hf_generate_k(model, k_ids, args.k, args.k_batch, args.k_max_new_tokens), None),
                "today": lambda: timed(today, k_reqs), "harness": lambda: timed(harness, k_reqs)}
    best: dict[str, tuple[int, float]] = {}
    outputs: dict[str, set[tuple[str, ...]]] = {"today": set(), "harness": set()}
    for _ in range(args.repeat):  # interleaved; the fastest repeat counts (a shared machine is noisy)
        for name, measure in measures.items():
            tokens, seconds, texts = measure()
            print(f"  (a) {name}: {tokens} tokens in {seconds:.1f}s", flush=True)
            if texts is not None:
                outputs[name].add(tuple(texts))
            if name not in best or seconds < best[name][1]:
                best[name] = (tokens, seconds)
    same = len(outputs["today"] | outputs["harness"]) == 1
    _table_k(best, args, same)
    _ragged(model, base, qs_for, args)


def _table_k(best: dict[str, tuple[int, float]], args: argparse.Namespace, same: bool) -> None:
    rate = {name: tokens / seconds for name, (tokens, seconds) in best.items()}
    print(f"\n(a) K = {args.k} sampled (temperature 0.8, top-p 0.95), {args.k_prompts} prompts, "
          f"max_new_tokens {args.k_max_new_tokens}, {args.k_batch} rows at once\n")
    print("| measurement | useful tokens | seconds | tok/s | vs ceiling |\n|---|---:|---:|---:|---:|")
    names = {"ceiling": f"ceiling: model.generate(num_return_sequences={args.k}, do_sample=True)",
             "today": "today: HFBackend, prefill_sharing and continuous_batching off",
             "harness": "harness: HFBackend, both on (default)"}
    for name, (tokens, seconds) in best.items():
        print(f"| {names[name]} | {tokens} | {seconds:.1f} | {rate[name]:.1f} | {rate[name] / rate['ceiling']:.2f}x |")
    print(f"\nharness / ceiling: {rate['harness'] / rate['ceiling']:.2f}x (goal >= 1.3x); "
          f"harness / today: {rate['harness'] / rate['today']:.2f}x; "
          f"harness outputs identical to today's: {same}")


def _ragged(model: LoadedModel, base: dict[str, Any], qs_for: Any, args: argparse.Namespace) -> None:
    lengths = [int(n) for n in args.ragged_lengths.split(",")]
    reqs = ragged_requests(qs_for(args.ragged_prompts), lengths)
    drop = backend_with(model, base, batch_size=args.ragged_batch, continuous_batching=False)
    cont = backend_with(model, base, batch_size=args.ragged_batch)
    best: dict[str, tuple[int, float, list[str]]] = {}
    for _ in range(args.repeat):
        for name, backend in (("drop", drop), ("continuous", cont)):
            got = timed(backend, reqs)
            print(f"  (b) {name}: {got[0]} tokens in {got[1]:.1f}s", flush=True)
            if name not in best or got[1] < best[name][1]:
                best[name] = got
    rate = {name: tokens / seconds for name, (tokens, seconds, _) in best.items()}
    print(f"\n(b) ragged outputs: {args.ragged_prompts} greedy prompts, max_new_tokens cycling {lengths}, "
          f"{args.ragged_batch} rows at once\n")
    print("| measurement | tokens | seconds | tok/s |\n|---|---:|---:|---:|")
    for name, label in (("drop", "drop-finished-rows batching (continuous_batching: false)"),
                        ("continuous", "continuous batching (default)")):
        tokens, seconds, _ = best[name]
        print(f"| {label} | {tokens} | {seconds:.1f} | {rate[name]:.1f} |")
    print(f"\ncontinuous / drop-finished: {rate['continuous'] / rate['drop']:.2f}x; "
          f"identical outputs: {best['drop'][2] == best['continuous'][2]}")

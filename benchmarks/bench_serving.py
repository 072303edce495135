"""Generation throughput through an OpenAI-compatible server vs local generation, same model.

Starts ``transformers serve`` on 127.0.0.1 with a local checkpoint (by default the bundled
SmolLM2-135M-Instruct GGUF converted once to safetensors), runs the same greedy requests
through the ``openai:`` backend at several concurrencies, then locally (the ``hf`` backend when
it is installed, else plain ``model.generate`` one prompt at a time), and prints a table.

    python -m benchmarks.bench_serving [--requests 16] [--max-tokens 32] [--concurrency 1,4,16]
                                       [--model PATH] [--repeats 2] [--continuous-batching]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.generation.backends.base import ModelSpec
from harness.generation.backends.openai import OpenAIBackend
from harness.types import Generation, GenerationRequest, GenParams, Message, RenderedPrompt
from tests.support.serve import transformers_serve
from tests.support.tiny_models import convert_bundled_smollm2

TOPICS = ["France", "Japan", "Brazil", "Kenya", "Canada", "Norway", "India", "Egypt",
          "Peru", "Italy", "Chile", "Spain", "Ghana", "Nepal", "Cuba", "Fiji"]
DEFAULT_MODEL = Path.home() / ".cache" / "harness" / "bench" / "smollm2-135m-instruct"


@dataclass(frozen=True)
class Row:
    mode: str
    concurrency: int | str
    seconds: float
    requests: int
    tokens: int
    errors: int

    def cells(self) -> list[str]:
        return [self.mode, str(self.concurrency), f"{self.seconds:.2f}", f"{self.requests / self.seconds:.2f}",
                f"{self.tokens / self.seconds:.1f}", str(self.errors)]


def make_requests(n: int, max_tokens: int) -> list[GenerationRequest]:
    out = []
    for i in range(n):
        text = f"In one sentence, what is {TOPICS[i % len(TOPICS)]} known for?"
        prompt = RenderedPrompt(messages=(Message("user", text),), text=text)
        out.append(GenerationRequest(case_id=f"q{i}", sample=0, prompt=prompt,
                                     params=GenParams(max_new_tokens=max_tokens), seed=i))
    return out


def timed(mode: str, concurrency: int | str, run: Callable[[], dict[int, Generation]]) -> tuple[Row, dict]:
    start = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - start
    tokens = sum(g.new_tokens or 0 for g in results.values())
    errors = sum(1 for g in results.values() if g.error)
    return Row(mode, concurrency, seconds, len(results), tokens, errors), results


def local_runner(model: Path, requests: Sequence[GenerationRequest]) -> tuple[str, Callable[[], dict]]:
    """The hf backend if present, else sequential ``model.generate`` (what the server does per request).

    Loaded before the server starts, so that only generation is timed.
    """
    if importlib.util.find_spec("harness.generation.backends.hf") is not None:
        from harness.generation.backends import create_backend

        options = {"device": "cpu", "harness_dir": tempfile.mkdtemp(prefix="bench-hf-")}
        backend = create_backend(ModelSpec(backend="hf", target=str(model), options=options))
        list(backend.generate(requests[:1]))  # load outside the timing
        return "local hf backend (batched)", lambda: dict(backend.generate(requests))
    return "local generate (batch 1)", _plain_generate(model, requests)


def _plain_generate(model_dir: Path, requests: Sequence[GenerationRequest]) -> Callable[[], dict]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)

    def run() -> dict[int, Generation]:
        out = {}
        for i, r in enumerate(requests):
            inputs = tokenizer.apply_chat_template(r.prompt.as_dicts(), add_generation_prompt=True,
                                                   return_dict=True, return_tensors="pt")
            with torch.no_grad():
                seq = model.generate(**inputs, max_new_tokens=r.params.max_new_tokens, do_sample=False)
            new = seq[0, inputs["input_ids"].shape[-1]:]
            out[i] = Generation(output=tokenizer.decode(new, skip_special_tokens=True), new_tokens=len(new))
        return out

    return run


def print_table(rows: list[Row]) -> None:
    head = ["mode", "concurrency", "seconds", "req/s", "tokens/s", "errors"]
    table = [head] + [r.cells() for r in rows]
    widths = [max(len(line[c]) for line in table) for c in range(len(head))]
    for n, line in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--repeats", type=int, default=2, help="rounds; each mode reports its best round")
    parser.add_argument("--continuous-batching", action="store_true")
    args = parser.parse_args(argv)
    model = args.model or convert_bundled_smollm2(DEFAULT_MODEL)
    requests = make_requests(args.requests, args.max_tokens)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    extra = ["--continuous-batching"] if args.continuous_batching else []
    label, run_local = local_runner(model, requests)
    best: dict[tuple[str, int | str], Row] = {}
    outputs: dict[str, dict[int, Generation]] = {}
    with tempfile.TemporaryDirectory() as tmp, transformers_serve(model, Path(tmp) / "serve.log", *extra) as url:
        served_label = "openai: transformers serve" + (" --continuous-batching" if extra else "")
        backends = {c: OpenAIBackend(ModelSpec(backend="openai", target=f"{url}/v1", options={
            "model": str(model), "timeout": 900, "concurrency": c})) for c in concurrencies}
        list(backends[concurrencies[0]].generate(requests[:2]))  # warm-up
        for _ in range(args.repeats):  # interleaved, so that both sides see the same machine load
            row, outputs["local"] = timed(label, "-", run_local)
            _keep_best(best, row)
            for concurrency, backend in backends.items():
                row, outputs["served"] = timed(served_label, concurrency, lambda b=backend: dict(b.generate(requests)))
                _keep_best(best, row)
    print_table(list(best.values()))
    same = sum(outputs["served"][i].output == outputs["local"][i].output for i in outputs["local"])
    print(f"\n{len(requests)} requests x {args.max_tokens} max new tokens, greedy, best of {args.repeats} rounds; "
          f"served outputs identical to local: {same}/{len(requests)}; model: {model}")


def _keep_best(best: dict[tuple[str, int | str], Row], row: Row) -> None:
    key = (row.mode, row.concurrency)
    if key not in best or row.seconds < best[key].seconds:
        best[key] = row


if __name__ == "__main__":
    main()

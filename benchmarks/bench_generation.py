"""Generation throughput: harness vs a hand-written batched loop, one-at-a-time, and lm-eval.

One run, same prompts, same loaded model (the bundled SmolLM2-135M-Instruct by default):

1. ceiling      a hand-written batched ``model.generate`` loop (length-sorted, left padded)
2. one-at-a-time ``model.generate`` per prompt (on the first ``--single`` prompts)
3. harness      ``HFBackend.generate`` (checked token for token against the ceiling)
4. end to end   ``harness run`` in a subprocess (cold cache: process start, load, generate, score)
5. lm-eval      ``lm_eval --model hf`` on a local ``generate_until`` YAML task over the same JSONL
6. cached       ``harness run`` of ``--cached-cases`` cases, cold, then again fully cached
7. scheduling   K sampled answers per prompt (vs ``model.generate(num_return_sequences=K)`` and the
                backend with prefill sharing and continuous batching off), and ragged outputs
                (continuous batching vs drop-finished-rows batching): see ``bench_scheduling``

    python -m benchmarks.bench_generation            # full
    python -m benchmarks.bench_generation --quick    # a few minutes
    python -m benchmarks.bench_generation --scheduling-only --quick --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import bench_scheduling
from harness.generation.backends.base import ModelSpec
from harness.generation.backends.batching import auto_batch_size
from harness.generation.backends.bundled import bundled_model_path
from harness.generation.backends.hf import HFBackend
from harness.generation.backends.hf_model import LoadedModel
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt

SUBJECTS = ["the French Revolution", "photosynthesis", "prime numbers", "the water cycle", "Hamlet",
            "black holes", "the Roman Empire", "machine learning", "volcanoes", "the human heart",
            "jazz music", "climate change", "the printing press", "honey bees", "the Moon landing",
            "compound interest"]
TEMPLATES = ["What is {s}?", "Explain {s} to a ten-year-old in two sentences.",
             "Give three short facts about {s}.", "Write a haiku about {s}.",
             ("In one paragraph, describe why {s} matters today and name one common misconception "
             "about it that people often repeat."),
             "Summarize {s}."]
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
ROOT = Path(__file__).resolve().parents[1]


def progress(row: Row) -> Row:
    """Print a row as soon as it is measured (full runs take minutes)."""
    print(f"  {row.name}: {row.tokens} tokens in {row.seconds:.1f}s = {row.tok_s:.1f} tok/s", flush=True)
    return row


def fastest(runs: list[Row]) -> Row:
    """The repeat with the shortest wall time."""
    return min(runs, key=lambda row: row.seconds)


@dataclass
class Row:
    name: str
    tokens: int
    seconds: float
    note: str = ""

    @property
    def tok_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def questions(n: int) -> list[str]:
    """``n`` deterministic prompts of varied length."""
    return [TEMPLATES[i % len(TEMPLATES)].format(s=SUBJECTS[(i // len(TEMPLATES) + i) % len(SUBJECTS)])
            + ("" if i < len(SUBJECTS) * len(TEMPLATES) else f" (variant {i})") for i in range(n)]


def requests_for(qs: list[str], max_new_tokens: int) -> list[GenerationRequest]:
    return [GenerationRequest(case_id=f"q{i}", sample=0, prompt=RenderedPrompt((Message("user", q),), q),
                              params=GenParams(max_new_tokens=max_new_tokens), seed=i)
            for i, q in enumerate(qs)]


def useful_tokens(row: list[int], eos: frozenset[int], limit: int) -> list[int]:
    """Generated ids up to and including the first EOS (what a real loop would have to produce)."""
    for k, token in enumerate(row[:limit]):
        if token in eos:
            return row[:k + 1]
    return row[:limit]


def ceiling(model: LoadedModel, ids: list[list[int]], batch: int, max_new: int) -> tuple[Row, list[list[int]]]:
    """Hand-written batched model.generate: length-sorted batches, left padding, pad_token_id."""
    import torch

    tok, order = model.tokenizer, sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    tok.padding_side = "left"
    out: list[list[int]] = [[] for _ in ids]
    started = time.perf_counter()
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        enc = tok.pad({"input_ids": [ids[i] for i in chunk]}, return_tensors="pt")
        with torch.inference_mode():
            gen = model.model.generate(**enc, max_new_tokens=max_new, do_sample=False,
                                       pad_token_id=model.setup.pad_token_id)
        for i, row in zip(chunk, gen[:, enc["input_ids"].shape[1]:].tolist()):
            out[i] = useful_tokens(row, model.setup.eos_token_ids, max_new)
    took = time.perf_counter() - started
    return Row("ceiling: batched model.generate", sum(map(len, out)), took, f"batch {batch}"), out


def one_at_a_time(model: LoadedModel, ids: list[list[int]], max_new: int) -> Row:
    import torch

    tokens, started = 0, time.perf_counter()
    for prompt in ids:
        with torch.inference_mode():
            gen = model.model.generate(input_ids=torch.tensor([prompt]), max_new_tokens=max_new,
                                       do_sample=False, pad_token_id=model.setup.pad_token_id)
        tokens += len(useful_tokens(gen[0, len(prompt):].tolist(), model.setup.eos_token_ids, max_new))
    return Row("one prompt at a time", tokens, time.perf_counter() - started, f"{len(ids)} prompts")


def harness_backend(backend: HFBackend, requests: list[GenerationRequest]) -> tuple[Row, dict[int, Any]]:
    started = time.perf_counter()
    got = dict(backend.generate(requests))
    took = time.perf_counter() - started
    tokens = sum(g.new_tokens or 0 for g in got.values())
    return Row("harness HFBackend.generate", tokens, took, f"batch {backend.options.batch_size}"), got


def write_project(work: Path, model_dir: Path, qs: list[str], max_new: int, suite_id: str) -> Path:
    """A harness project with one suite over ``qs`` (JSONL) and a model named ``bench``."""
    (work / "data").mkdir(parents=True, exist_ok=True)
    (work / "suites").mkdir(exist_ok=True)
    (work / "harness.yaml").write_text(
        f"models:\n  bench: {{backend: hf, model: {json.dumps(str(model_dir))}, device: cpu}}\n"
        "default_model: bench\n")
    data = work / "data" / f"{suite_id}.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(qs)))
    (work / "suites" / f"{suite_id}.yaml").write_text(
        f"id: {suite_id}\ntemplate: '{{{{ question }}}}'\n"
        f"defaults:\n  params: {{max_new_tokens: {max_new}}}\n"
        "  checks:\n    - {type: max-length, value: 100000}\n"
        f"cases_from: {{path: data/{suite_id}.jsonl, id: id, vars: [question]}}\n")
    return data


def harness_run(work: Path, suite_id: str, json_out: Path) -> tuple[float, bool]:
    """``harness run`` in a fresh process; returns wall seconds and whether torch was imported."""
    code = ("import sys, atexit\n"
            "atexit.register(lambda: print('TORCH_IMPORTED=%s' % ('torch' in sys.modules), file=sys.stderr))\n"
            f"sys.argv = ['harness', 'run', 'suites/{suite_id}.yaml', '--no-store', '--json', {str(json_out)!r}]\n"
            "from harness.cli import main\nmain()\n")
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"harness run failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return took, "TORCH_IMPORTED=True" in proc.stderr


def lm_eval_run(work: Path, model_dir: Path, data: Path, max_new: int, batch: int,
                stop: list[str]) -> tuple[float | None, str]:
    """lm-eval's hf model on a local generate_until task; returns wall seconds or why it failed."""
    exe = shutil.which("lm_eval") or str(Path(sys.executable).parent / "lm_eval")
    if not Path(exe).exists():
        return None, "lm_eval is not installed (pip install lm_eval)"
    tasks = work / "lm_eval_tasks"
    tasks.mkdir(exist_ok=True)
    (tasks / "harness_bench.yaml").write_text(
        "task: harness_bench\ndataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(str(data))}\n"
        "test_split: test\noutput_type: generate_until\n"
        "doc_to_text: '{{question}}'\ndoc_to_target: ''\n"
        f"generation_kwargs:\n  until: {json.dumps(stop)}\n  max_gen_toks: {max_new}\n  do_sample: false\n"
        "metric_list:\n  - metric: exact_match\n")
    cmd = [exe, "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32",
           "--tasks", "harness_bench", "--include_path", str(tasks), "--batch_size", str(batch),
           "--device", "cpu", "--apply_chat_template", "--output_path", str(work / "lm_eval_out")]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env={**os.environ, **OFFLINE}, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        return None, f"lm_eval failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}"
    return took, ""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=64, help="prompts for the throughput rows")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--single", type=int, default=16, help="prompts for the one-at-a-time row")
    parser.add_argument("--batch-size", default="auto", help="harness batch size (the ceiling uses the same)")
    parser.add_argument("--cached-cases", type=int, default=1000)
    parser.add_argument("--cached-max-new-tokens", type=int, default=8)
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: bundled)")
    parser.add_argument("--harness-dir", type=Path, default=ROOT / ".harness")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved repeats; the fastest counts")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-lm-eval", action="store_true")
    parser.add_argument("--skip-scheduling", action="store_true")
    parser.add_argument("--scheduling-only", action="store_true", help="only the tables of bench_scheduling")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--quick", action="store_true", help="16 prompts, 16 tokens, 4 single, 200 cached")
    bench_scheduling.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.prompts, args.max_new_tokens, args.single, args.cached_cases, args.repeat = 16, 16, 4, 200, 1
        bench_scheduling.quick(args)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    model_dir = (args.model or bundled_model_path(args.harness_dir)).resolve()
    options = {"harness_dir": str(args.harness_dir), "device": "cpu",
               "batch_size": int(args.batch_size) if args.batch_size != "auto" else "auto"}
    backend = HFBackend(ModelSpec("hf", str(model_dir), options))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model = backend._model()
    load_s = time.perf_counter() - started
    if args.scheduling_only:
        bench_scheduling.run(model, str(model_dir), options, questions, args)
        return
    qs = questions(args.prompts)
    requests = requests_for(qs, args.max_new_tokens)
    ids = [model.encode(r.prompt) for r in requests]
    longest = max(map(len, ids)) + args.max_new_tokens
    batch = int(args.batch_size) if args.batch_size != "auto" else min(
        len(ids), auto_batch_size(model.shape, longest, "cpu"))
    backend = HFBackend(ModelSpec("hf", str(model_dir), {**options, "batch_size": batch}))
    backend._loaded = model
    rows: list[Row] = []
    print(f"model {model_dir.name}: loaded in {load_s:.2f}s; {len(ids)} prompts "
          f"({min(map(len, ids))}-{max(map(len, ids))} tokens), {args.max_new_tokens} new tokens, batch {batch}",
          flush=True)
    ceil_runs, single_runs, harness_runs = [], [], []
    for _ in range(args.repeat):  # interleaved; the fastest repeat counts (a shared machine is noisy)
        ceil_row, ceil_out = ceiling(model, ids, batch, args.max_new_tokens)
        ceil_runs.append(progress(ceil_row))
        single_runs.append(progress(one_at_a_time(model, ids[:args.single], args.max_new_tokens)))
        harness_row, got = harness_backend(backend, requests)
        same = sum(got[i].output == model.setup.decode(ceil_out[i]) for i in range(len(ids)))
        harness_row.note += f"; {same}/{len(ids)} outputs identical to the ceiling"
        harness_runs.append(progress(harness_row))
    rows += [fastest(ceil_runs), fastest(single_runs), fastest(harness_runs)]
    extra = _end_to_end(args, model_dir, qs, rows[2].tokens, batch, rows) if not args.skip_e2e else {}
    report(rows, extra)
    if not args.skip_scheduling:
        bench_scheduling.run(model, str(model_dir), options, questions, args)


def _end_to_end(args: argparse.Namespace, model_dir: Path, qs: list[str], tokens: int, batch: int,
                rows: list[Row]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        work = Path(tmp)
        e2e_runs, lm_runs = [], []
        for rep in range(args.repeat):  # a fresh project (cold cache) each time
            folder = work / f"rep{rep}"
            data = write_project(folder, model_dir, qs, args.max_new_tokens, "bench")
            took, _ = harness_run(folder, "bench", folder / "run.json")
            e2e_runs.append(progress(Row("harness run (end to end, cold)", tokens, took,
                                         "process start + load + generate + score")))
            if not args.skip_lm_eval:
                lm_took, why = lm_eval_run(folder, model_dir, data, args.max_new_tokens, batch, ["<|im_end|>"])
                if lm_took is not None:
                    lm_runs.append(progress(Row("lm-eval hf generate_until (end to end)", tokens, lm_took,
                                                "same prompts, same batch, --apply_chat_template")))
                extra["lm_eval_error"] = why
                print(f"  lm-eval: {why or 'ok'}", flush=True)
        rows += [fastest(e2e_runs)] + ([fastest(lm_runs)] if lm_runs else [])
        many = questions(args.cached_cases)
        write_project(work, model_dir, many, args.cached_max_new_tokens, "many")
        cold, _ = harness_run(work, "many", work / "many.json")
        warm, torch_loaded = harness_run(work, "many", work / "many2.json")
        extra["cached"] = {"cases": args.cached_cases, "cold_s": cold, "cached_s": warm,
                           "percent": 100 * warm / cold, "torch_imported": torch_loaded,
                           "same_report": _outputs(work / "many.json") == _outputs(work / "many2.json")}
    return extra


def _outputs(path: Path) -> Any:
    data = json.loads(path.read_text())
    return [[c.get("outputs") for c in s.get("cases", [])] for s in data.get("suites", [])]


def report(rows: list[Row], extra: dict[str, Any]) -> None:
    print("\n| measurement | tokens | seconds | tok/s | note |\n|---|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row.name} | {row.tokens} | {row.seconds:.1f} | {row.tok_s:.1f} | {row.note} |")
    ceil, single, harness = rows[0], rows[1], rows[2]
    print(f"\nharness / ceiling: {harness.tok_s / ceil.tok_s:.2f}x (goal >= 0.9x)")
    print(f"harness / one-at-a-time: {harness.tok_s / single.tok_s:.2f}x (goal >= 4x)")
    e2e = next((r for r in rows if r.name.startswith("harness run")), None)
    lm = next((r for r in rows if r.name.startswith("lm-eval")), None)
    if e2e and lm:
        print(f"harness run end to end vs lm-eval: {lm.seconds / e2e.seconds:.2f}x faster "
              f"({e2e.seconds:.1f}s vs {lm.seconds:.1f}s)")
    if extra.get("lm_eval_error"):
        print(f"lm-eval: {extra['lm_eval_error']}")
    cached = extra.get("cached")
    if cached:
        print(f"cached rerun of {cached['cases']} cases: {cached['cached_s']:.2f}s vs cold {cached['cold_s']:.1f}s "
              f"= {cached['percent']:.1f}% (goal < 5%); torch imported: {cached['torch_imported']}; "
              f"identical outputs: {cached['same_report']}")


if __name__ == "__main__":
    main()

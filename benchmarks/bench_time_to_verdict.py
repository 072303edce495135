"""Time to verdict: fixed K = 10 against ``--samples auto --max-samples 10``, side by side in one run.

1. **Real model.** The bundled suites (code suites left out) and model, ``smollm2`` (baseline)
   against ``smollm2-int8`` (candidate), temperature 0.8, each mode from its own cold generation
   cache: wall time, generations made (main and paraphrase samples, both sides) and verdicts.
   ``--quick`` keeps the first ``--cases`` cases of the qa suite (2 shared CPU cores make the full
   run take hours).
2. **Recorded outputs.** Each case's pass probability is estimated from the fixed-K run's recorded
   samples (pooled over both sides); ``--draws`` A/A draws (both sides at that probability) and as
   many planted draws (5 cases tagged critical, dropping from 0.95 to 0.05) go through
   ``compare_runs`` and the gate with this repository's policy, in both modes, on a family of at
   least 30 cases (the measured cases repeated when fewer were measured).

Run: ``python benchmarks/bench_time_to_verdict.py [--quick] [--cases N] [--draws D]``;
``--report FILE`` runs only part 2 on a fixed-K comparison report written earlier (``--json``).
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
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
MAX_SAMPLES = 10
POLICY = {"critical_regressions": 0, "max_pass_rate_drop": 0.02, "max_regressions": {"value": 0, "level": "warn"}}


def make_project(root: Path, quick: bool, cases: int) -> list[str]:
    """A copy of the bundled suites and prompts, the two models, and a fresh cache per mode."""
    shutil.copytree(ROOT / "prompts", root / "prompts")
    (root / "suites").mkdir()
    names = ["qa"] if quick else ["qa", "safety", "ifeval", "extraction", "summarization"]
    for name in names:
        shutil.copy(ROOT / "suites" / f"{name}.yaml", root / "suites" / f"{name}.yaml")
    if (ROOT / "suites" / "data").is_dir():
        shutil.copytree(ROOT / "suites" / "data", root / "suites" / "data")
    if quick:
        path = root / "suites" / "qa.yaml"
        doc = yaml.safe_load(path.read_text())
        doc["cases"] = doc["cases"][:cases]
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    converted = ROOT / ".harness" / "models"
    (root / ".harness").mkdir()
    if converted.is_dir():   # reuse the converted bundled checkpoint (not the generation cache)
        (root / ".harness" / "models").symlink_to(converted)
    return [f"suites/{n}.yaml" for n in names]


def run_mode(root: Path, suites: list[str], samples: str) -> dict:
    cache = root / f"cache-{samples}"
    config = {"models": {"smollm2": {"backend": "hf", "gguf": "bundled-smollm2"},
                         "smollm2-int8": {"base": "smollm2", "quantize": "int8"}},
              "default_model": "smollm2", "cache_dir": str(cache), "policy": POLICY}
    (root / "harness.yaml").write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "harness", "compare", *suites, "-b", "smollm2", "-c", "smollm2-int8",
            "--param", "temperature=0.8", "--samples", samples, "--max-samples", str(MAX_SAMPLES),
            "--no-store", "--json", f"out-{samples}.json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"compare --samples {samples} failed:\n{done.stderr[-3000:]}")
    report = json.loads((root / f"out-{samples}.json").read_text())
    return {"wall_s": wall, "generations": generations(report), "report": report}


def generations(report: dict) -> int:
    """Main and paraphrase samples of both sides (every one generated: cold cache, distinct models)."""
    total = 0
    for suite in report["suites"]:
        for case in suite["cases"]:
            total += len(case["baseline_outputs"]) + len(case["candidate_outputs"])
            total += sum(len(p["outputs"]) for side in ("baseline", "candidate")
                         for p in case["paraphrases"][side])
    return total


def verdicts(report: dict) -> str:
    return report["verdict"] + " (" + ", ".join(f"{s['id']}: {s['verdict']}" for s in report["suites"]) + ")"


# ---------------------------------------------------------------- recorded-output simulation


def recorded_rates(report: dict) -> list[tuple[float, tuple[str, ...]]]:
    out = []
    for suite in report["suites"]:
        for case in suite["cases"]:
            b, c = case["samples"]["baseline"], case["samples"]["candidate"]
            if b["n"] + c["n"]:
                out.append(((b["passed"] + c["passed"]) / (b["n"] + c["n"]), tuple(case["tags"])))
    return out


def simulate(rates: list[tuple[float, tuple[str, ...]]], draws: int, seed: int) -> dict[str, dict[str, float]]:
    from harness.analysis.compare import compare_runs
    from harness.analysis.gate import Policy, evaluate
    from harness.analysis.sequential import SequentialDesign

    policy = Policy.model_validate(POLICY)
    family = [rates[i % len(rates)] for i in range(max(30, len(rates)))]
    rng = np.random.default_rng(seed)
    design = SequentialDesign(2, MAX_SAMPLES)
    out: dict[str, dict[str, float]] = {"fixed": {}, "auto": {}}
    for kind in ("aa", "planted"):
        fails = {"fixed": 0, "auto": 0}
        used = {"fixed": 0, "auto": 0}
        for _ in range(draws):
            base = np.array([p for p, _ in family])
            cand = base.copy()
            tags = [t for _, t in family]
            if kind == "planted":
                base[:5], cand[:5] = 0.95, 0.05
                tags = [("critical",) if i < 5 else tuple(x for x in t if x != "critical") for i, t in enumerate(tags)]
            for mode in ("fixed", "auto"):
                runs, n = draw_runs(rng, base, cand, tags, design if mode == "auto" else None)
                comp = compare_runs(*runs, embedding_model=None, design=design if mode == "auto" else None)
                fails[mode] += evaluate(policy, [comp]).verdict == "fail"
                used[mode] += n
        for mode in ("fixed", "auto"):
            out[mode][kind] = fails[mode] / draws
            out[mode][f"{kind}_generations"] = used[mode] / draws
    return out


def draw_runs(rng: np.random.Generator, base: np.ndarray, cand: np.ndarray, tags: list[tuple[str, ...]],
              design) -> tuple[tuple, int]:
    from harness.analysis.sequential import still_open
    from harness.types import CaseResult, RunInfo, RunResult, SampleResult

    sides: tuple[list, list] = ([], [])
    drawn = 0
    for i, (pb, pc) in enumerate(zip(base, cand)):
        old: list[SampleResult] = []
        new: list[SampleResult] = []
        while (len(old) < MAX_SAMPLES if design is None else still_open(old, new, len(old), design)):
            for samples, p in ((old, pb), (new, pc)):
                ok = bool(rng.random() < p)
                samples.append(SampleResult(sample=len(samples), output="ok" if ok else "no", scores=(), passed=ok))
        drawn += 2 * len(old)
        for side, samples in zip(sides, (old, new)):
            side.append(CaseResult(case_id=f"c{i}", samples=tuple(samples), tags=tags[i], sampled=True))
    runs = tuple(RunResult(info=RunInfo("sim", "", "", "v1", model, {}, {"temperature": 0.8}, 0, MAX_SAMPLES,
                                        {}, {}, ""), cases=tuple(side))
                 for model, side in zip(("smollm2", "smollm2-int8"), sides))
    return runs, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first --cases cases of the qa suite")
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--report", type=Path, help="only the simulation, on this fixed-K comparison JSON")
    args = parser.parse_args()
    if args.report is not None:
        print_simulation(recorded_rates(json.loads(args.report.read_text())), args.draws)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        suites = make_project(root, args.quick, args.cases)
        fixed = run_mode(root, suites, str(MAX_SAMPLES))
        auto = run_mode(root, suites, "auto")
    sim = simulate(recorded_rates(fixed["report"]), args.draws, seed=18)
    cases = sum(len(s["cases"]) for s in fixed["report"]["suites"])
    print(f"time to verdict: {cases} cases ({'quick: qa suite' if args.quick else 'bundled suites'}), "
          f"smollm2 vs smollm2-int8, temperature 0.8, cold cache; simulation: {args.draws} draws per row")
    print(f"{'mode':24s} {'wall s':>8s} {'generations':>12s} {'verdict':40s} {'A/A false-FAIL':>15s} "
          f"{'planted power':>14s} {'sim gens/draw':>14s}")
    for name, mode, measured in (("fixed K=10", "fixed", fixed), ("auto (max 10)", "auto", auto)):
        print(f"{name:24s} {measured['wall_s']:8.1f} {measured['generations']:12d} "
              f"{verdicts(measured['report'])[:40]:40s} {sim[mode]['aa']:15.3f} {sim[mode]['planted']:14.3f} "
              f"{sim[mode]['aa_generations']:14.0f}")
    print(f"ratio fixed/auto: wall {fixed['wall_s'] / auto['wall_s']:.2f}x, generations "
          f"{fixed['generations'] / max(auto['generations'], 1):.2f}x (simulated A/A: "
          f"{sim['fixed']['aa_generations'] / sim['auto']['aa_generations']:.2f}x); verdicts "
          f"{'match' if fixed['report']['verdict'] == auto['report']['verdict'] else 'DIFFER'}")


def print_simulation(rates: list[tuple[float, tuple[str, ...]]], draws: int) -> None:
    sim = simulate(rates, draws, seed=18)
    print(f"recorded-output simulation: {len(rates)} measured cases (family of {max(30, len(rates))}), "
          f"{draws} draws per row")
    print(f"{'mode':16s} {'A/A false-FAIL':>15s} {'planted power':>14s} {'A/A gens/draw':>14s} "
          f"{'planted gens/draw':>18s}")
    for name, mode in (("fixed K=10", "fixed"), ("auto (max 10)", "auto")):
        print(f"{name:16s} {sim[mode]['aa']:15.3f} {sim[mode]['planted']:14.3f} {sim[mode]['aa_generations']:14.0f} "
              f"{sim[mode]['planted_generations']:18.0f}")


if __name__ == "__main__":
    main()

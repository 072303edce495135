"""Time to verdict: fixed K = 10 against ``--samples auto`` and ``auto-cases`` (``--max-samples 10``).

``auto`` stops cases once settled and the whole comparison at a look that shows a FAIL (efficacy)
or that no FAIL is coming (futility); ``auto-cases`` only stops settled cases
(``docs/statistics.md``, "Adaptive sampling").

1. **Real model.** The bundled suites (code suites left out) and model, ``smollm2`` (baseline)
   against ``smollm2-int8`` (candidate), temperature 0.8, each mode from its own cold generation
   cache: wall time, generations made (main and paraphrase samples, both sides) and verdicts.
   ``--quick`` compares only the qa suite, ``--limit``-ed to its first ``--cases`` cases (2 shared
   CPU cores make the full run take hours); ``--modes`` picks the modes run on the model.
2. **Recorded outputs.** Each case's pass probability is estimated from the fixed-K run's recorded
   samples (pooled over both sides); ``--draws`` A/A draws (both sides at that probability) and as
   many planted draws of two kinds (5 cases tagged critical dropping from 0.95 to 0.05; 3 dropping
   from 0.9 to 0.3, a moderate regression) go through the rounds loop (``run_pair_in_rounds``, with
   its looks), ``compare_runs`` and the gate with this repository's policy, in every mode
   (``auto --futility 0`` too), on a family of at least 30 cases (the measured cases repeated when
   fewer were measured; ``--family N`` for a larger one).

Run: ``python benchmarks/bench_time_to_verdict.py [--quick] [--cases N] [--draws D] [--family N]``;
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
sys.path.insert(0, str(ROOT))   # the simulation imports this checkout's harness, like the CLI runs it
MAX_SAMPLES = 10
POLICY = {"critical_regressions": 0, "max_pass_rate_drop": 0.02, "max_regressions": {"value": 0, "level": "warn"}}


def make_project(root: Path, quick: bool) -> list[str]:
    """A copy of the bundled suites and prompts, the two models, and a fresh cache per mode."""
    shutil.copytree(ROOT / "prompts", root / "prompts")
    (root / "suites").mkdir()
    names = ["qa"] if quick else ["qa", "safety", "ifeval", "extraction", "summarization"]
    for name in names:
        shutil.copy(ROOT / "suites" / f"{name}.yaml", root / "suites" / f"{name}.yaml")
    if (ROOT / "suites" / "data").is_dir():
        shutil.copytree(ROOT / "suites" / "data", root / "suites" / "data")
    converted = ROOT / ".harness" / "models"
    (root / ".harness").mkdir()
    if converted.is_dir():   # reuse the converted bundled checkpoint (not the generation cache)
        (root / ".harness" / "models").symlink_to(converted)
    return [f"suites/{n}.yaml" for n in names]


def run_mode(root: Path, suites: list[str], samples: str, limit: int | None) -> dict:
    cache = root / f"cache-{samples}"
    config = {"models": {"smollm2": {"backend": "hf", "gguf": "bundled-smollm2"},
                         "smollm2-int8": {"base": "smollm2", "quantize": "int8"}},
              "default_model": "smollm2", "cache_dir": str(cache), "policy": POLICY}
    (root / "harness.yaml").write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "harness", "compare", *suites, "-b", "smollm2", "-c", "smollm2-int8",
            "--param", "temperature=0.8", *samples_args(samples), "--max-samples", str(MAX_SAMPLES),
            "--no-store", "--json", f"out-{samples}.json", *(["--limit", str(limit)] if limit else [])]
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


MODES = {"fixed K=10": str(MAX_SAMPLES), "auto (max 10)": "auto", "auto --futility 0": "auto:0",
         "auto-cases (max 10)": "auto-cases"}
PLANTED = {"planted": (5, 0.95, 0.05), "moderate": (3, 0.9, 0.3)}   # critical cases, baseline, candidate


def samples_args(mode: str) -> list[str]:
    """``--samples`` (and ``--futility``) of a mode: ``auto:0`` is ``--samples auto --futility 0``."""
    samples, _, futility = mode.partition(":")
    return ["--samples", samples] + (["--futility", futility] if futility else [])


def simulate(rates: list[tuple[float, tuple[str, ...]]], draws: int, seed: int,
             family_size: int = 30) -> dict[str, dict[str, float]]:
    from harness.analysis.compare import compare_runs
    from harness.analysis.gate import Policy, evaluate

    policy = Policy.model_validate(POLICY)
    family = [rates[i % len(rates)] for i in range(max(family_size, len(rates)))]
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {mode: {} for mode in MODES.values()}
    for kind in ("aa", *PLANTED):
        fails = dict.fromkeys(MODES.values(), 0)
        used = dict.fromkeys(MODES.values(), 0)
        for _ in range(draws):
            base = np.array([p for p, _ in family])
            cand = base.copy()
            tags = [t for _, t in family]
            if kind in PLANTED:
                n, old, new = PLANTED[kind]
                base[:n], cand[:n] = old, new
                tags = [("critical",) if i < n else tuple(x for x in t if x != "critical") for i, t in enumerate(tags)]
            outcomes = rng.random((2, len(base), MAX_SAMPLES)) < np.stack([base, cand])[:, :, None]
            for mode in MODES.values():
                runs, design, stop = draw_runs(outcomes, tags, mode, policy)
                comp = compare_runs(*runs, embedding_model=None, design=design, stop=stop)
                fails[mode] += evaluate(policy, [comp]).verdict == "fail"
                used[mode] += sum(len(c.samples) for run in runs for c in run.cases)
        for mode in MODES.values():
            out[mode][kind] = fails[mode] / draws
            out[mode][f"{kind}_generations"] = used[mode] / draws
    return out


def draw_runs(outcomes: np.ndarray, tags: list[tuple[str, ...]], mode: str, policy) -> tuple[tuple, object, object]:
    """Both sides' runs from pre-drawn per-round outcomes: fixed K, or through the rounds loop itself."""
    from types import SimpleNamespace

    from harness.adaptive import run_pair_in_rounds
    from harness.analysis.looks import SuiteGate
    from harness.commands.compare import parse_samples
    from harness.types import CaseResult, RunInfo, RunResult, SampleResult

    def run(side: int, rounds: range, ids: set[str] | None) -> RunResult:
        cases = tuple(CaseResult(case_id=f"c{i}", tags=tags[i], sampled=True, samples=tuple(
            SampleResult(sample=r, output="ok" if outcomes[side, i, r] else "no", scores=(),
                         passed=bool(outcomes[side, i, r])) for r in rounds))
            for i in range(len(tags)) if ids is None or f"c{i}" in ids)
        info = RunInfo("sim", "", "", "v1", ("smollm2", "smollm2-int8")[side], {}, {"temperature": 0.8}, 0,
                       MAX_SAMPLES, {}, {}, "")
        return RunResult(info=info, cases=cases)

    samples, _, futility = mode.partition(":")
    _, design = parse_samples(samples, 2, MAX_SAMPLES, float(futility or 0.05))
    if design is None:
        return (run(0, range(MAX_SAMPLES), None), run(1, range(MAX_SAMPLES), None)), None, None
    suite = SimpleNamespace(id="sim", cases=[SimpleNamespace(id=f"c{i}") for i in range(len(tags))])
    specs = (SimpleNamespace(side=0), SimpleNamespace(side=1))
    gate = SuiteGate(policy.for_suite("sim"), 0.05, 0.05)
    base, cand, stop = run_pair_in_rounds(suite, suite, specs,  # type: ignore[arg-type]
                                          lambda _s, spec, r, ids: run(spec.side, range(r - 1, r), ids),
                                          design, gate=gate)
    return (base, cand), design, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first --cases cases of the qa suite")
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--family", type=int, default=30, help="simulated family size (measured cases repeated)")
    parser.add_argument("--modes", default=",".join(MODES.values()), help="modes run on the model")
    parser.add_argument("--report", type=Path, help="only the simulation, on this fixed-K comparison JSON")
    args = parser.parse_args()
    if args.report is not None:
        print_simulation(recorded_rates(json.loads(args.report.read_text())), args.draws, args.family)
        return
    wanted = [m for m in MODES.values() if m in args.modes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        suites = make_project(root, args.quick)
        limit = args.cases if args.quick else None
        measured = {mode: run_mode(root, suites, mode, limit) for mode in [str(MAX_SAMPLES)] + wanted[1:]}
        fixed = measured[str(MAX_SAMPLES)]
        Path("bench_time_to_verdict.fixed.json").write_text(json.dumps(fixed["report"]))
    cases = sum(len(s["cases"]) for s in fixed["report"]["suites"])
    print(f"time to verdict: {cases} cases ({'quick: qa suite' if args.quick else 'bundled suites'}), "
          f"smollm2 vs smollm2-int8, temperature 0.8, cold cache (fixed-K report saved to "
          f"bench_time_to_verdict.fixed.json)")
    print(f"{'mode':22s} {'wall s':>8s} {'generations':>12s} {'stop':>14s}  verdict")
    for name, mode in MODES.items():
        if mode in measured:
            m, sampling = measured[mode], [s.get("sampling") or {} for s in measured[mode]["report"]["suites"]]
            stop = ",".join(f"{s['stop_reason']}@{s['stop_round']}" for s in sampling if s) or "-"
            print(f"{name:22s} {m['wall_s']:8.1f} {m['generations']:12d} {stop:>14s}  {verdicts(m['report'])}")
    for mode in measured:
        if mode != str(MAX_SAMPLES):
            print(f"ratio fixed/{mode}: wall {fixed['wall_s'] / measured[mode]['wall_s']:.2f}x, generations "
                  f"{fixed['generations'] / max(measured[mode]['generations'], 1):.2f}x")
    print_simulation(recorded_rates(fixed["report"]), args.draws, args.family)


def print_simulation(rates: list[tuple[float, tuple[str, ...]]], draws: int, family: int = 30) -> None:
    sim = simulate(rates, draws, seed=18, family_size=family)
    print(f"recorded-output simulation: {len(rates)} measured cases (family of {max(family, len(rates))}), "
          f"{draws} draws per row")
    print("planted: 5 critical cases 0.95 -> 0.05; moderate: 3 critical cases 0.9 -> 0.3")
    print(f"{'mode':22s} {'A/A false-FAIL':>15s} {'planted power':>14s} {'moderate power':>15s} "
          f"{'A/A gens/draw':>14s} {'planted gens/draw':>18s}")
    for name, mode in MODES.items():
        print(f"{name:22s} {sim[mode]['aa']:15.3f} {sim[mode]['planted']:14.3f} {sim[mode]['moderate']:15.3f} "
              f"{sim[mode]['aa_generations']:14.0f} {sim[mode]['planted_generations']:18.0f}")
    fixed = sim[str(MAX_SAMPLES)]
    for name, mode in list(MODES.items())[1:]:
        print(f"generations fixed/{name}: A/A {fixed['aa_generations'] / sim[mode]['aa_generations']:.2f}x, "
              f"planted {fixed['planted_generations'] / sim[mode]['planted_generations']:.2f}x, "
              f"moderate {fixed['moderate_generations'] / sim[mode]['moderate_generations']:.2f}x")


if __name__ == "__main__":
    main()

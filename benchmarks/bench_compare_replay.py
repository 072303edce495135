"""`harness compare` over recorded outputs (replay files): wall time, and whether torch was imported.

120 cases x 5 samples per side, each case with a `contains` and a `similarity` check, through
`python -m harness compare ... --samples 5 --no-store` in a fresh process (the real CLI):

1. before   the embedding cache is cold, as every compare was before it existed: drift similarity
            and the similarity checks load sentence-transformers (and torch) and embed every text
2. after    the same compare again: every text's embedding comes from the cache, no model is loaded

One table gives both runs' wall time, CPU time (which a loaded machine inflates less than wall
time) and whether torch was imported; a third, warm run under `-X importtime` splits the warm
wall time into importing and the rest. The goal (issue 17) is under 1.5 s wall for `after`,
without importing torch.

    python -m benchmarks.bench_compare_replay [--cases 120] [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DRIVER = """
import sys
from harness.cli import main
try:
    main(sys.argv[1:])
finally:
    open("torch-imported.txt", "w").write(str("torch" in sys.modules))
"""
ANSWERS = ["Paris is the capital.", "The answer is Paris.", "It is Paris, in France.", "Lyon, I think.",
           "I cannot answer that.", "Paris", "The capital city is Paris.", "Marseille"]


def write_project(root: Path, cases: int, samples: int) -> None:
    (root / "suites").mkdir(parents=True)
    lines = ["id: big", "template: 'Q: {{ q }}'", "cases:"]
    for i in range(cases):
        lines.append(f"  - {{id: c{i}, vars: {{q: 'question {i}'}}, reference: 'Paris is the capital {i}', "
                     "checks: [{type: contains, value: Paris}, {type: similarity, min: 0.3}]}")
    (root / "suites" / "big.yaml").write_text("\n".join(lines) + "\n")
    for side, shift in (("base", 0), ("cand", 3)):
        with open(root / f"{side}.jsonl", "w") as out:
            for i in range(cases):
                for s in range(samples):
                    text = f"{ANSWERS[(i + s + shift) % len(ANSWERS)]} ({i})"
                    out.write(json.dumps({"case": f"c{i}", "sample": s, "output": text}) + "\n")
    (root / "harness.yaml").write_text("default_model: fake:echo\n")


def timed_compare(root: Path, samples: int, env: dict[str, str],
                  importtime: bool = False) -> tuple[float, float, bool, str]:
    """(wall s, CPU s of the child, torch imported, stderr) of one compare in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *(["-X", "importtime"] if importtime else []), "-c", DRIVER, "compare",
                           "suites/big.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                           "--samples", str(samples), "--no-store", "--json", "out.json"],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"compare failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    torch = (root / "torch-imported.txt").read_text() == "True"
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, torch, proc.stderr


def import_seconds(stderr: str) -> float:
    """Seconds spent importing, from ``-X importtime``: the cumulative times of the top-level imports."""
    total = 0
    for line in stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit() \
                and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_project(root, args.cases, args.samples)
        env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE_HOME": str(Path(tmp) / "machine-cache"),
               "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-compiled modules, as in an installed package
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "harness")], check=False, env=env)
        before = timed_compare(root, args.samples, env)
        first = json.loads((root / "out.json").read_text())
        after = timed_compare(root, args.samples, env)
        second = json.loads((root / "out.json").read_text())
        profiled = timed_compare(root, args.samples, env, importtime=True)
    same = first["suites"][0]["drift"] == second["suites"][0]["drift"] and first["verdict"] == second["verdict"]
    imports = import_seconds(profiled[3])
    print(f"compare over replay files: {args.cases} cases x {args.samples} samples per side, "
          f"contains + similarity checks, drift similarity (load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs)")
    print(f"  {'':34} {'wall s':>7} {'CPU s':>7}  torch imported")
    rows = (("before (embedding cache cold)", before), ("after  (embeddings cached)", after))
    for name, (wall, cpu, torch, _) in rows:
        print(f"  {name:34} {wall:7.2f} {cpu:7.2f}  {'yes' if torch else 'no'}")
    print(f"  after, once more under -X importtime: {profiled[0]:.2f} s wall, of which importing "
          f"{imports:.2f} s and the rest {profiled[0] - imports:.2f} s (start-up, compute, writing)")
    print(f"  speed-up {before[0] / after[0]:.1f}x; verdict and drift identical: {same}; "
          f"goal < 1.5 s wall: {'met' if after[0] < 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()

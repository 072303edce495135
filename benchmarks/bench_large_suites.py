"""Load a 100,000-case suite two ways (inline YAML; JSONL through ``cases_from``): time and peak RSS,
then render every case in the render worker (``harness.project.prompts.render_many``).

Each load runs in a fresh child process so that its peak RSS is its own.
Run: ``python benchmarks/bench_large_suites.py [CASES]`` (default 100000).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from harness.project.suites import load_suite
t1 = time.perf_counter()
suite = load_suite(sys.argv[1])
t2 = time.perf_counter()
from harness.project.prompts import render_many
render_many(suite.prompt, [(c.vars, c.id) for c in suite.cases])
t3 = time.perf_counter()
print(json.dumps({"cases": len(suite.cases), "load_s": round(t2 - t1, 2), "import_s": round(t1 - t0, 2),
                  "render_s": round(t3 - t2, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def write_project(root: Path, cases: int) -> tuple[Path, Path]:
    (root / "harness.yaml").write_text("{}\n")
    lines = ["id: inline", 'template: "Q: {{ question }}"', "defaults:", "  checks: [{type: contains, value: x}]",
             "cases:"]
    lines += [f"  - {{id: c{i}, vars: {{question: 'What is {i} + 1?'}}, reference: '{i + 1}'}}" for i in range(cases)]
    inline = root / "inline.yaml"
    inline.write_text("\n".join(lines) + "\n")
    with (root / "cases.jsonl").open("w") as fh:
        for i in range(cases):
            fh.write(json.dumps({"qid": f"c{i}", "question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n")
    jsonl = root / "jsonl.yaml"
    jsonl.write_text('id: jsonl\ntemplate: "Q: {{ question }}"\ncases_from: {path: cases.jsonl, id: qid, '
                     "vars: [question], reference: answer, checks: [{type: contains, value: x}]}\n")
    return inline, jsonl


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    root_pkg = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for suite in write_project(root, cases):
            size_mb = suite.stat().st_size / 2**20
            out = subprocess.run([sys.executable, "-c", CHILD, str(suite)], cwd=root, capture_output=True,
                                 text=True, env={"PYTHONPATH": str(root_pkg), "PATH": "/usr/bin:/bin",
                                                 "HF_DATASETS_OFFLINE": "1"}, check=False)
            if out.returncode:
                print(f"{suite.name}: failed\n{out.stderr[-2000:]}")
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{suite.name:12s} {result['cases']:>7d} cases  suite file {size_mb:5.1f} MB  "
                  f"load {result['load_s']:6.2f} s  peak RSS {result['peak_rss_mb']:5d} MB "
                  f"(imports {result['import_s']:.2f} s); rendering every case {result['render_s']:.2f} s")


if __name__ == "__main__":
    main()

"""Time `validate_project` on a generated project of 50 suites (target: well under 2 s).

Run from the repository root:  python benchmarks/bench_validate.py [N_SUITES]
Measures a fresh interpreter (imports included), as a pre-commit hook would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def make_project(root: Path, n_suites: int) -> None:
    (root / "prompts").mkdir(parents=True)
    (root / "suites").mkdir()
    (root / "data").mkdir()
    for p in range(5):
        (root / f"prompts/p{p}.yaml").write_text(yaml.safe_dump(
            {"id": f"p{p}", "version": "1", "system": "Be brief.", "template": "Q: {{ question }}"}))
    for s in range(n_suites):
        cases = [{"id": f"c{i}", "vars": {"question": f"q{i}"}, "reference": f"a{i}", "tags": ["critical"],
                  "checks": [{"type": "icontains", "value": f"a{i}"}, {"type": "rouge-l", "min": 0.2},
                             {"type": "max-length", "value": 300}],
                  "paraphrases": [{"question": f"again q{i}"}]} for i in range(20)]
        doc = {"id": f"s{s}", "prompt": f"prompts/p{s % 5}.yaml",
               "defaults": {"params": {"max_new_tokens": 32}, "checks": [{"type": "min-length", "value": 1}]},
               "cases": cases}
        if s % 5 == 0:
            rows = root / f"data/rows{s}.jsonl"
            rows.write_text("".join(json.dumps({"qid": f"r{i}", "q": f"x{i}", "ans": f"y{i}"}) + "\n"
                                    for i in range(200)))
            doc["cases_from"] = {"path": f"data/rows{s}.jsonl", "id": "qid", "vars": {"question": "q"},
                                 "reference": "ans"}
        (root / f"suites/s{s}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, n)
        code = ("import time; t=time.perf_counter(); from pathlib import Path; "
                "from harness.project.validate import validate_project; "
                f"r = validate_project(Path({str(root)!r})); "
                "print(len(r.files), len(r.problems), round(time.perf_counter()-t, 3))")
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 cwd=Path(__file__).resolve().parents[1])
            wall = time.perf_counter() - start
            files, problems, inner = out.stdout.split()
            timings.append((wall, float(inner)))
        best = min(timings)
        print(f"{n} suites ({files} files, {problems} problems): "
              f"best process wall {best[0]:.2f} s, in-process (imports + validation) {best[1]:.2f} s")


if __name__ == "__main__":
    main()

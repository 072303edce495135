"""Print comparison reports (JSON) side by side: per suite the verdict, the pass-rate change and
the drift, so a reader sees a changed model told apart from a worse one.

    python scripts/demo_summary.py "int8 vs fp32=report-int8.json" "bf16 vs fp32=report-bf16.json"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

WIDTH = 43  # one report's columns


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+5.1f}pp"


def _drift(suite: dict) -> str:
    p50 = suite["drift"]["quantiles"].get("p50")
    mean = suite["drift"]["mean"]
    return "   –   " if p50 is None else f"{p50:.2f}/{mean:.2f}"


def main(args: list[str]) -> int:
    reports = [(label, json.loads(Path(path).read_text())) for label, path in (a.rsplit("=", 1) for a in args)]
    suites = list(dict.fromkeys(s["id"] for _, r in reports for s in r["suites"]))
    by_id = [{s["id"]: s for s in r["suites"]} for _, r in reports]
    print(f"{'suite':<17}" + "".join(f"| {label:<{WIDTH}}" for label, _ in reports))
    columns = f"| {'verdict':<12} {'Δ pass':>7} {'regr':>5}  {'drift p50/mean':<14} "
    print(f"{'':<17}" + columns * len(reports))
    for suite_id in suites:
        cells = []
        for suites_of in by_id:
            s = suites_of.get(suite_id)
            if s is None:
                cells.append(f"| {'(not run)':<{WIDTH}}")
                continue
            regressions = sum(1 for c in s["cases"] if c["status"] == "regression")
            cells.append(f"| {s['verdict']:<12} {_pp(s['stats']['pass_rate_delta']):>7} {regressions:>5}  "
                         f"{_drift(s):<14} ")
        print(f"{suite_id:<17}" + "".join(cells))
    print(f"{'VERDICT':<17}" + "".join(f"| {r['verdict'].upper():<{WIDTH}}" for _, r in reports))
    for label, report in reports:
        print(f"\n{label}: {report['verdict'].upper()}")
        for reason in report["reasons"]:
            print(f"  • {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A stored run in the JSON shape of ``harness run`` (pure)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.store.rows import ResultRow, RunRow


def build_run_report(run: RunRow, results: list[ResultRow],
                     tags: dict[str, list[str]]) -> dict[str, Any]:
    """``{"suites": [{"id", "model", "pass_rate", "cases": [...]}]}`` for one stored run.

    As in ``harness run`` (``harness.reporters.run_report``): a case ``passed`` when at least
    half its main samples passed; ``scores`` maps each check to its type, pass rate and mean.
    """
    by_case: dict[str, list[ResultRow]] = defaultdict(list)
    for row in results:
        if row.variant == "main":
            by_case[row.case_id].append(row)
    cases = [_case(case_id, rows, tags.get(case_id, [])) for case_id, rows in by_case.items()]
    suite = {"id": run.suite_id, "model": run.model_spec, "prompt_version": run.prompt_version,
             "pass_rate": run.pass_rate, "run_id": run.run_id, "status": run.status,
             "complete": run.status == "complete",
             "started_at": run.started_at, "finished_at": run.finished_at,
             "samples": run.samples, "cases": cases}
    return {"suites": [suite]}


def _case(case_id: str, rows: list[ResultRow], tags: list[str]) -> dict[str, Any]:
    rows = sorted(rows, key=lambda r: r.sample)
    n_passed = sum(r.passed for r in rows)
    pass_rate = n_passed / len(rows) if rows else 0.0
    return {"id": case_id, "pass_rate": pass_rate, "passed": bool(rows) and pass_rate >= 0.5,
            "n_samples": len(rows), "n_passed": n_passed, "tags": tags,
            "outputs": [r.output for r in rows], "errors": [r.error for r in rows if r.error],
            "scores": _scores(rows)}


def _scores(rows: list[ResultRow]) -> dict[str, dict[str, Any]]:
    passed: dict[str, list[bool]] = defaultdict(list)
    values: dict[str, list[float]] = defaultdict(list)
    types: dict[str, str] = {}
    for row in rows:
        for score in row.scores:
            name = str(score.get("check", "?"))
            types.setdefault(name, str(score.get("type", "")))
            passed[name].append(bool(score.get("passed")))
            if isinstance(score.get("value"), (int, float)):
                values[name].append(float(score["value"]))
    return {name: {"type": types[name], "pass_rate": sum(p) / len(p),
                   "mean": sum(values[name]) / len(values[name]) if values[name] else None}
            for name, p in passed.items()}

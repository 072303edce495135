"""The JSON shape of ``harness run`` (DESIGN.md): one side, per suite and case."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.types import CaseResult, RunResult


def check_summary(case: CaseResult) -> dict[str, dict[str, Any]]:
    """Per check: pass rate over samples, mean value, and the first failing reason."""
    grouped: dict[str, list] = defaultdict(list)
    for sample in case.samples:
        for score in sample.scores:
            grouped[score.check].append(score)
    summary = {}
    for name, scores in grouped.items():
        values = [s.value for s in scores if s.value is not None]
        failing = next((s.reason for s in scores if not s.passed), None)
        summary[name] = {"type": scores[0].type, "pass_rate": sum(s.passed for s in scores) / len(scores),
                         "mean": sum(values) / len(values) if values else None,
                         "threshold": scores[0].threshold, "reason": failing or scores[0].reason,
                         "verdicts": sorted({s.verdict for s in scores if s.verdict})}
    return summary


def case_dict(case: CaseResult) -> dict[str, Any]:
    return {"id": case.case_id, "pass_rate": case.pass_rate, "passed": case.pass_rate >= 0.5 and case.n > 0,
            "n_samples": case.n, "n_passed": case.n_passed, "tags": list(case.tags),
            "reference": case.reference, "outputs": case.outputs, "errors": case.errors,
            "scores": check_summary(case),
            "paraphrases": [{"outputs": [s.output for s in p], "pass_rate": sum(s.passed for s in p) / len(p)}
                            for p in case.paraphrases if p]}


def check_pass_rates(result: RunResult) -> dict[str, float]:
    """Per check name: share of scored samples that passed."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in result.cases:
        for sample in case.samples:
            for score in sample.scores:
                totals[score.check][0] += score.passed
                totals[score.check][1] += 1
    return {name: p / n for name, (p, n) in totals.items() if n}


def run_suite_dict(result: RunResult) -> dict[str, Any]:
    info = result.info
    suite = {"id": info.suite_id, "model": info.model_spec, "prompt_version": info.prompt_version,
             "pass_rate": result.pass_rate, "complete": result.complete, "run_id": result.run_id,
             "samples": info.samples, "suite_hash": info.suite_hash, "prompt_hash": info.prompt_hash,
             "model_fingerprint": info.model_fingerprint, "params": info.params,
             "check_pass_rates": check_pass_rates(result),
             "cases": [case_dict(c) for c in result.cases]}
    if info.samples > 1:
        suite["pass_at_k"] = pass_at_k_summary(result, info.samples)
    return suite


def pass_at_k_summary(result: RunResult, samples: int) -> dict[str, float]:
    """Unbiased pass@k averaged over cases, for k = 1 and k = K (cases with fewer samples use what they have)."""
    from harness.analysis.stats import pass_at_k

    scored = [c for c in result.cases if c.n > 0]
    if not scored:
        return {}
    return {str(k): sum(pass_at_k(c.n, c.n_passed, min(k, c.n)) for c in scored) / len(scored)
            for k in sorted({1, samples})}


def run_report(results: list[RunResult]) -> dict[str, Any]:
    return {"suites": [run_suite_dict(r) for r in results]}

"""The one per-check summary of a set of samples (used by run reports, comparisons and the store)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.types import SampleResult, Score, is_errored


@dataclass(frozen=True)
class CheckSummary:
    """One check over the scorable samples of one case (errored samples are left out)."""

    type: str
    pass_rate: float
    mean: float | None
    threshold: float | None
    reason: str
    verdicts: tuple[str, ...]


def summarize_checks(samples: Iterable[SampleResult]) -> dict[str, CheckSummary]:
    """Per check name: pass rate over scorable samples, mean value, first failing sample's reason."""
    grouped: dict[str, list[Score]] = {}
    for sample in samples:
        if is_errored(sample):
            continue
        for score in sample.scores:
            grouped.setdefault(score.check, []).append(score)
    summary = {}
    for name, scores in grouped.items():
        values = [s.value for s in scores if s.value is not None]
        shown = next((s for s in scores if not s.passed), scores[0])
        summary[name] = CheckSummary(type=scores[0].type, pass_rate=sum(s.passed for s in scores) / len(scores),
                                     mean=sum(values) / len(values) if values else None, threshold=scores[0].threshold,
                                     reason=shown.reason,
                                     verdicts=tuple(sorted({s.verdict for s in scores if s.verdict})))
    return summary

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
        if not is_errored(sample):
            for score in sample.scores:
                grouped.setdefault(score.check, []).append(score)
    return {name: _summary(scores) for name, scores in grouped.items()}


def _summary(scores: list[Score]) -> CheckSummary:
    first = scores[0]
    if len(scores) == 1:  # one sample (the common K = 1): the same values as the general form below
        return CheckSummary(type=first.type, pass_rate=first.passed / 1,
                            mean=sum((first.value,)) / 1 if first.value is not None else None,
                            threshold=first.threshold, reason=first.reason,
                            verdicts=(first.verdict,) if first.verdict else ())
    values = [s.value for s in scores if s.value is not None]
    shown = next((s for s in scores if not s.passed), first)
    return CheckSummary(type=first.type, pass_rate=sum(s.passed for s in scores) / len(scores),
                        mean=sum(values) / len(values) if values else None, threshold=first.threshold,
                        reason=shown.reason, verdicts=tuple(sorted({s.verdict for s in scores if s.verdict})))

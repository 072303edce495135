"""Builders for RunResults used by the comparison, gate and calibration tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.types import CaseResult, RunInfo, RunResult, SampleResult, Score


def info(suite: str = "s", model: str = "fake:a", prompt_version: str = "v1", samples: int = 1,
         fingerprint: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
         versions: dict[str, str] | None = None, prompt_hash: str = "p1") -> RunInfo:
    return RunInfo(suite_id=suite, suite_hash="h", prompt_hash=prompt_hash, prompt_version=prompt_version,
                   model_spec=model, model_fingerprint=fingerprint or {"backend": "fake", "mode": model},
                   params=params or {"temperature": 0.7}, seed=0, samples=samples,
                   versions=versions or {"harness": "0.1.0"}, host={}, started_at="2026-01-01T00:00:00")


def sample(i: int, passed: bool, output: str | None = None, value: float | None = None,
           error: str | None = None, check: str = "check") -> SampleResult:
    text = output if output is not None else ("Paris" if passed else "Lyon")
    score = Score(check=check, type="rouge-l" if value is not None else "icontains", passed=passed, value=value,
                  reason="found 'paris'" if passed else "'paris' not found")
    return SampleResult(sample=i, output=text, scores=(score,), passed=passed and error is None, error=error)


def case(case_id: str, passes: Sequence[bool], outputs: Sequence[str] | None = None,
         tags: Sequence[str] = (), values: Sequence[float] | None = None,
         paraphrases: Sequence[Sequence[bool]] = (), errors: Sequence[str | None] | None = None) -> CaseResult:
    samples = tuple(sample(i, p, outputs[i] if outputs else None, values[i] if values else None,
                           errors[i] if errors else None) for i, p in enumerate(passes))
    paras = tuple(tuple(sample(i, p) for i, p in enumerate(ps)) for ps in paraphrases)
    return CaseResult(case_id=case_id, samples=samples, tags=tuple(tags), paraphrases=paras)


def counts(passed: int, k: int) -> list[bool]:
    return [True] * passed + [False] * (k - passed)


def run(cases: Sequence[CaseResult], **kwargs: Any) -> RunResult:
    k = max((c.n for c in cases), default=1)
    kwargs.setdefault("samples", k)
    return RunResult(info=info(**kwargs), cases=tuple(cases))

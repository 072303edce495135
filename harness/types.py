"""The shared vocabulary that crosses module boundaries.

Internal values are frozen dataclasses; what is read from YAML lives in
``harness.project.suites`` / ``harness.project.config`` as pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
Verdict = Literal["pass", "warn", "inconclusive", "fail"]

JUDGE_ERROR = "judge-error"
"""``Score.verdict`` of a judge check whose judge gave no usable answer (the sample is not scorable)."""

PASS_CUTOFF = 0.5
"""A case (or one version of it) counts as passed when at least this share of its scorable samples passed."""


class CaseStatus(str, Enum):
    """How one case changed from baseline to candidate (the JSON value is the lower-case name).

    Declared in the order reports list them: what needs attention first.
    """

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    FLAKY = "flaky"
    STABLE_FAIL = "stable_fail"
    STABLE_PASS = "stable_pass"

    def __str__(self) -> str:
        return self.value


def is_errored(sample: SampleResult) -> bool:
    """An infrastructure error or a crashed scorer: the sample is not scorable."""
    return sample.error is not None or any(s.error for s in sample.scores)


def case_pass_rate(passed: int, scorable: int) -> float | None:
    """The one definition of a case's pass rate: passed / scorable samples; None with none scorable."""
    return passed / scorable if scorable else None


def case_passed(pass_rate: float | None) -> bool:
    """A case passed when it has a pass rate of at least ``PASS_CUTOFF``."""
    return pass_rate is not None and pass_rate >= PASS_CUTOFF


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for a model: chat messages plus a plain-text form."""

    messages: tuple[Message, ...]
    text: str

    def as_dicts(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in self.messages]


@dataclass(frozen=True)
class GenParams:
    """Generation parameters after merging prompt, suite, case and model defaults."""

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    stop: tuple[str, ...] = ()
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "top_k": self.top_k, "stop": list(self.stop),
                "seed": self.seed}


@dataclass(frozen=True)
class GenerationRequest:
    """One (case, sample) to generate. ``seed`` is already derived per case and sample."""

    case_id: str
    sample: int
    prompt: RenderedPrompt
    params: GenParams
    seed: int
    suite_id: str = ""
    variant: str = "main"  # "main" or "paraphrase-N"
    score_tokens: tuple[str, ...] = ()  # judge calls: report these next-token probabilities (meta.score_probs)


@dataclass(frozen=True)
class Generation:
    """What a backend returned for one request. ``error`` marks an infrastructure failure."""

    output: str
    new_tokens: int | None = None
    latency_s: float = 0.0
    error: str | None = None
    cached: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """The result of one check on one output."""

    check: str            # the check's display name
    type: str             # registry name, e.g. "rouge-l"
    passed: bool
    value: float | None = None
    threshold: float | None = None
    reason: str = ""
    weight: float = 1.0
    verdict: str | None = None   # detail verdict, e.g. code-tests: pass/fail/timeout/memory/sandbox-error
    error: bool = False          # the scorer itself failed (not the model)
    judgments: tuple[bool, ...] = ()  # judge checks: each of the J judgments' pass verdict (errors left out)
    judge: str | None = None     # judge checks: the judge model's label

    def as_dict(self) -> dict[str, Any]:
        out = {"check": self.check, "type": self.type, "passed": self.passed, "value": self.value,
               "threshold": self.threshold, "reason": self.reason, "weight": self.weight,
               "verdict": self.verdict, "error": self.error}
        if self.judge is not None:
            out.update(judgments=list(self.judgments), judge=self.judge)
        return out

    @property
    def judge_error(self) -> bool:
        """The judge's answer could not be used: counted apart from the model's failures."""
        return self.verdict == JUDGE_ERROR


@dataclass(frozen=True)
class SampleResult:
    """One generation of one case, scored."""

    sample: int
    output: str
    scores: tuple[Score, ...]
    passed: bool
    error: str | None = None
    new_tokens: int | None = None
    latency_s: float = 0.0
    cached: bool = False
    variant: str = "main"


@dataclass(frozen=True)
class CaseResult:
    """All samples of one case in one run."""

    case_id: str
    samples: tuple[SampleResult, ...]
    tags: tuple[str, ...] = ()
    reference: str | None = None
    paraphrases: tuple[tuple[SampleResult, ...], ...] = ()
    sampled: bool = False          # decoded with temperature > 0: the same input can pass or fail by chance
    group: str | None = None       # cases sharing a group form one cluster in suite statistics

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def scorable(self) -> tuple[SampleResult, ...]:
        """Samples that are neither infrastructure errors nor crashed scorers."""
        return tuple(s for s in self.samples if not is_errored(s))

    @property
    def n_passed(self) -> int:
        return sum(s.passed for s in self.scorable)

    @property
    def pass_rate(self) -> float | None:
        """Passed / scorable samples (errored samples left out); None when no sample is scorable."""
        return case_pass_rate(self.n_passed, len(self.scorable))

    @property
    def outputs(self) -> list[str]:
        return [s.output for s in self.samples]

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.samples if s.error]


@dataclass(frozen=True)
class RunInfo:
    """Everything needed to reproduce a run (what the store records)."""

    suite_id: str
    suite_hash: str
    prompt_hash: str
    prompt_version: str
    model_spec: str
    model_fingerprint: dict[str, Any]
    params: dict[str, Any]
    seed: int
    samples: int
    versions: dict[str, str]
    host: dict[str, Any]
    started_at: str
    finished_at: str | None = None


@dataclass(frozen=True)
class RunResult:
    """One suite x one variant x K samples."""

    info: RunInfo
    cases: tuple[CaseResult, ...]
    complete: bool = True
    run_id: str | None = None

    @property
    def pass_rate(self) -> float:
        """Mean case pass rate over the cases that have one (errored cases left out); 0 with none."""
        rates = [c.pass_rate for c in self.cases if c.pass_rate is not None]
        return sum(rates) / len(rates) if rates else 0.0


@dataclass(frozen=True)
class Case:
    """One suite case after defaults were merged. ``checks`` holds validated check configs."""

    id: str
    vars: dict[str, Any]
    reference: str | None = None
    checks: tuple[Any, ...] = ()
    tags: tuple[str, ...] = ()
    paraphrases: tuple[dict[str, Any], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    group: str | None = None
    threshold: float | None = None  # pass when this weighted share of checks passes (default: all)

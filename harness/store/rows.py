"""Rows the store hands to readers (the dashboard, the HTML report): frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

RunStatus = str  # "incomplete" | "complete"


@dataclass(frozen=True)
class RunRow:
    """One stored run: its identity, what reproduces it, and its outcome."""

    run_id: str
    kind: str
    status: RunStatus
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
    finished_at: str | None
    pass_rate: float | None


@dataclass(frozen=True)
class ResultRow:
    """One (case, variant, sample) of a run."""

    run_id: str
    case_id: str
    variant: str
    sample: int
    output: str
    passed: bool
    scores: list[dict[str, Any]]
    error: str | None
    latency_s: float
    new_tokens: int | None
    cached: bool


@dataclass(frozen=True)
class CaseRunRow:
    """One case in one run, with the run's identity: a point of the case's history."""

    run_id: str
    started_at: str
    run_status: RunStatus
    model_spec: str
    prompt_version: str
    case_id: str
    tags: list[str]
    n: int
    n_passed: int
    pass_rate: float
    consistent: bool


@dataclass(frozen=True)
class ComparisonRow:
    """One stored comparison (all its suites)."""

    comparison_id: str
    created_at: str
    verdict: str
    reasons: list[Any]
    suite_ids: tuple[str, ...]


@dataclass(frozen=True)
class ComparisonSuiteRow:
    """One suite of one comparison: the numbers the dashboard plots."""

    comparison_id: str
    created_at: str
    suite_id: str
    verdict: str
    baseline_run_id: str | None
    candidate_run_id: str | None
    baseline_model: str | None
    candidate_model: str | None
    baseline_prompt_version: str | None
    candidate_prompt_version: str | None
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    pass_rate_delta: float | None
    mean_drift: float | None


@dataclass(frozen=True)
class CaseStatusRow:
    """A case's status in one comparison."""

    comparison_id: str
    created_at: str
    suite_id: str
    case_id: str
    status: str
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    drift: float | None


@dataclass(frozen=True)
class RunFilter:
    """Which runs a reader wants; ``None`` means any. Dates are ISO prefixes (``2026-11-27``)."""

    suite_id: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    tag: str | None = None
    since: str | None = None
    until: str | None = None
    status: str | None = None
    limit: int | None = None   # the newest N only (None: every matching run)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a newest-first listing: its items, its 1-based number, the page size and the total count."""

    items: tuple[T, ...]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first(self) -> int:
        """1-based position of the first item in the whole listing (0 when the page is empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


@dataclass(frozen=True)
class SuiteSummary:
    """One suite over the runs a filter selects, aggregated in SQL: what the overview shows."""

    suite_id: str
    runs: int
    latest_run: RunRow
    models: tuple[str, ...]
    prompt_versions: tuple[str, ...]
    recent: tuple[tuple[str, float], ...]   # (started_at, pass rate) of the newest complete runs, oldest first

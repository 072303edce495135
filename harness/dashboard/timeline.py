"""A case's history across runs: outcomes, flips and flaky periods (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.store.rows import CaseRunRow

Outcome = Literal["pass", "fail", "flaky", "incomplete"]


@dataclass(frozen=True)
class TimelinePoint:
    row: CaseRunRow
    outcome: Outcome
    flipped: bool  # pass <-> fail against the previous decided run


@dataclass(frozen=True)
class FlakyPeriod:
    start: str
    end: str
    runs: int


@dataclass(frozen=True)
class Timeline:
    points: tuple[TimelinePoint, ...]
    flips: int
    flaky_periods: tuple[FlakyPeriod, ...]


def outcome_of(row: CaseRunRow) -> Outcome:
    """``pass``/``fail`` when every sample (and paraphrase) agrees; else ``flaky``."""
    if row.run_status != "complete":
        return "incomplete"
    if not row.consistent or 0.0 < row.pass_rate < 1.0:
        return "flaky"
    return "pass" if row.pass_rate >= 1.0 else "fail"


def build_timeline(rows: Sequence[CaseRunRow]) -> Timeline:
    """Mark flips and group consecutive flaky runs into periods."""
    points: list[TimelinePoint] = []
    last_decided: Outcome | None = None
    for row in rows:
        outcome = outcome_of(row)
        flipped = outcome in ("pass", "fail") and last_decided not in (None, outcome)
        if outcome in ("pass", "fail"):
            last_decided = outcome
        points.append(TimelinePoint(row, outcome, flipped))
    return Timeline(tuple(points), sum(p.flipped for p in points), _flaky_periods(points))


def _flaky_periods(points: Sequence[TimelinePoint]) -> tuple[FlakyPeriod, ...]:
    periods: list[FlakyPeriod] = []
    run: list[TimelinePoint] = []
    for point in [*points, None]:
        if point is not None and point.outcome == "flaky":
            run.append(point)
            continue
        if run:
            periods.append(FlakyPeriod(run[0].row.started_at, run[-1].row.started_at, len(run)))
            run = []
    return tuple(periods)

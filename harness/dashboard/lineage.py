"""An alias's lineage for the dashboard: champions over time, promotions and rejections, and the
pass-rate trend across champions (pure: built from store rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from harness.dashboard.charts import LineChart, line_chart
from harness.store import ComparisonSuiteRow, Store
from harness.store.aliases import Aliases, AliasEvent, AliasRow


@dataclass(frozen=True)
class Champion:
    """One reign: the model, when it started and ended, and the event that crowned it."""

    model_spec: str
    since: str
    until: str | None
    event: AliasEvent


@dataclass(frozen=True)
class LineagePage:
    alias: AliasRow
    champions: tuple[Champion, ...]
    events: tuple[AliasEvent, ...]          # newest first
    trend: LineChart


def champions(events: Sequence[AliasEvent]) -> tuple[Champion, ...]:
    """Each promotion starts a reign that the next promotion ends."""
    promotions = [e for e in events if e.kind == "promotion"]
    return tuple(Champion(e.model_spec, e.created_at, nxt.created_at if nxt else None, e)
                 for e, nxt in zip(promotions, [*promotions[1:], None]))


def champion_pass_rates(reigns: Sequence[Champion], events: Sequence[AliasEvent],
                        suites: Sequence[ComparisonSuiteRow]) -> dict[str, list[tuple[str, float]]]:
    """Per suite: (reign start, the champion's pass rate) — measured in the comparison that promoted
    it (candidate side), else in the first comparison it defended (baseline side)."""
    by_comparison: dict[str, list[ComparisonSuiteRow]] = defaultdict(list)
    for row in suites:
        by_comparison[row.comparison_id].append(row)
    series: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for reign in reigns:
        rows, side = by_comparison.get(reign.event.comparison_id or "", []), "candidate"
        if not rows:
            defended = [e for e in events if e.champion_spec == reign.model_spec and e.comparison_id
                        and e.created_at >= reign.since]
            rows, side = (by_comparison.get(defended[0].comparison_id or "", []) if defended else []), "baseline"
        for row in rows:
            rate = row.candidate_pass_rate if side == "candidate" else row.baseline_pass_rate
            if rate is not None:
                series[row.suite_id].append((reign.since, rate))
    return dict(series)


def lineage_page(store: Store, alias: str) -> LineagePage | None:
    """Everything the alias page shows; None when there is no such alias."""
    aliases = Aliases(store)
    row = aliases.get(alias)
    if row is None:
        return None
    events = aliases.lineage(alias)
    wanted = {e.comparison_id for e in events if e.comparison_id}
    suites = store.comparison_suites(comparison_ids=sorted(wanted)) if wanted else []
    reigns = champions(events)
    trend = line_chart(f"champion pass rate · @{alias}", champion_pass_rates(reigns, events, suites))
    return LineagePage(row, reigns, tuple(reversed(events)), trend)


def alias_list(store: Store) -> list[AliasRow]:
    aliases = Aliases(store)
    return [row for row in (aliases.get(name) for name in aliases.names()) if row is not None]

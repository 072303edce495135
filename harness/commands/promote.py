"""``harness promote`` (point an alias at a model by hand) and ``harness history --alias`` (its lineage)."""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import EXIT_OK


def promote_command(spec: str, alias: str, reason: str | None, db: str | None,
                    echo: Callable[[str], None]) -> int:
    """Record ``alias -> spec`` (with its fingerprint, who, when and why) whatever it pointed at."""
    from harness.commands.gate import model_fingerprint
    from harness.project.config import load_project_config
    from harness.store import Store
    from harness.store.aliases import Aliases, Move, check_alias_name

    name = check_alias_name(alias)
    project = load_project_config()
    with Store(db or project.database) as store:
        aliases = Aliases(store)
        target = aliases.require(spec).model_spec if spec.startswith("@") else spec.strip()
        fingerprint = model_fingerprint(target, project)
        before = aliases.get(name)
        event = aliases.promote(name, target, fingerprint, Move(
            reason=reason, champion_spec=before.model_spec if before else None), expected_generation=None)
    assert event is not None  # a manual promotion retries until it lands
    was = f" (was {before.model_spec})" if before else ""
    echo(f"@{name} -> {target}{was}; recorded by {event.user} at {event.created_at}")
    return EXIT_OK


def alias_history_command(alias: str, db: str | None, echo: Callable[[str], None], as_json: bool = False) -> int:
    """The lineage of ``alias``: every promotion and rejection, oldest first, with its comparison."""
    import json

    from harness.project.config import load_project_config
    from harness.store import Store
    from harness.store.aliases import Aliases

    project = load_project_config()
    with Store(db or project.database) as store:
        aliases = Aliases(store)
        current = aliases.require(alias)
        events = aliases.lineage(current.alias)
    if as_json:
        echo(json.dumps({"alias": current.alias, "model_spec": current.model_spec,
                         "generation": current.generation,
                         "events": [e.__dict__ for e in events]}, indent=2))
        return EXIT_OK
    echo(f"@{current.alias} -> {current.model_spec} (generation {current.generation})")
    for e in events:
        against = f" vs {e.champion_spec}" if e.champion_spec else ""
        verdict = f" {e.verdict}" if e.verdict else ""
        comparison = f" comparison {e.comparison_id}" if e.comparison_id else " (manual)"
        why = f" — {e.reason}" if e.reason else ""
        echo(f"{e.created_at}  {e.kind:<9} {e.model_spec}{against}{verdict}{comparison} by {e.user}{why}")
    return EXIT_OK

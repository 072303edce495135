"""Model aliases (``production``, ``champion``...): which model an alias names now, and its lineage.

An alias row carries a ``generation`` that every move increments. A gate promotes with
compare-and-swap: the alias moves only if its generation is still the one the comparison was
made against, so two gates racing from the same champion cannot both promote; the loser gets
``None`` and can re-run against the new champion. Every promotion and rejection is appended to
``alias_events`` with who, when, why and the comparison id.
"""

from __future__ import annotations

import getpass
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import sqlalchemy as sa

from harness.errors import UsageError
from harness.store import schema
from harness.store.jsonsafe import clean_json
from harness.store.store import Store

EventKind = Literal["promotion", "rejection"]
ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
USER_ENV = "HARNESS_USER"
_A, _E, _G = schema.aliases, schema.alias_events, schema.gated_checkpoints


@dataclass(frozen=True)
class AliasRow:
    """An alias's current model."""

    alias: str
    model_spec: str
    model_fingerprint: dict[str, Any]
    generation: int
    updated_at: str


@dataclass(frozen=True)
class AliasEvent:
    """One promotion or rejection in an alias's lineage."""

    event_id: str
    alias: str
    kind: EventKind
    model_spec: str
    model_fingerprint: dict[str, Any]
    champion_spec: str | None
    comparison_id: str | None
    verdict: str | None
    generation: int
    user: str
    reason: str | None
    created_at: str


@dataclass(frozen=True)
class Move:
    """What a promotion or rejection records besides the alias and the model."""

    comparison_id: str | None = None
    verdict: str | None = None
    reason: str | None = None
    champion_spec: str | None = None


def current_user() -> str:
    """Who acts: ``$HARNESS_USER``, else the login name (never a credential)."""
    name = os.environ.get(USER_ENV, "").strip()
    if name:
        return name[:schema.KEY]
    try:
        return getpass.getuser()[:schema.KEY]
    except (KeyError, OSError):
        return "unknown"


def check_alias_name(alias: str) -> str:
    """An alias is 1-100 letters, digits, ``.``, ``_`` or ``-`` (a leading ``@`` is dropped)."""
    name = alias.removeprefix("@")
    if not ALIAS_RE.match(name):
        raise UsageError(f"invalid alias {alias!r}: use letters, digits, '.', '_' or '-' (at most 100)")
    return name


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Aliases:
    """Alias reads and moves on a :class:`Store` (same database, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, alias: str) -> AliasRow | None:
        with self.store._read() as conn:
            row = conn.execute(sa.select(_A).where(_A.c.alias == alias)).first()
        return AliasRow(**row._mapping) if row else None

    def names(self) -> list[str]:
        with self.store._read() as conn:
            return list(conn.scalars(sa.select(_A.c.alias).order_by(_A.c.alias)))

    def require(self, alias: str) -> AliasRow:
        """The alias's row, or a usage error (exit 2) that lists the known aliases."""
        name = check_alias_name(alias)
        row = self.get(name)
        if row is None:
            known = ", ".join(self.names()) or "none yet; create one with `harness promote SPEC --alias NAME`"
            raise UsageError(f"unknown alias '{name}' (known aliases: {known})")
        return row

    def promote(self, alias: str, spec: str, fingerprint: dict[str, Any], move: Move,
                *, expected_generation: int | None) -> AliasEvent | None:
        """Point ``alias`` at ``spec``; None when another promotion got there first.

        ``expected_generation`` is the generation the decision was made against (0: the alias
        must not exist yet); None moves the alias whatever it points at (a manual promotion).
        """
        name = check_alias_name(alias)
        for _ in range(5):
            try:
                with self.store._write("promoting") as conn:
                    current = conn.scalar(sa.select(_A.c.generation).where(_A.c.alias == name))
                    expected = expected_generation if expected_generation is not None else (current or 0)
                    if not _swap(conn, name, spec, fingerprint, expected):
                        if expected_generation is None:
                            raise _Retry
                        return None
                    return _append(conn, name, "promotion", spec, fingerprint, move, expected + 1)
            except sa.exc.IntegrityError:
                if expected_generation is not None:
                    return None  # created by the other racer
            except _Retry:
                continue
        raise UsageError(f"alias '{name}' keeps moving under this promotion; try again")

    def reject(self, alias: str, spec: str, fingerprint: dict[str, Any], move: Move) -> AliasEvent:
        """Record that ``spec`` was judged against the alias's champion and not promoted."""
        name = check_alias_name(alias)
        with self.store._write("recording a rejection") as conn:
            generation = conn.scalar(sa.select(_A.c.generation).where(_A.c.alias == name)) or 0
            return _append(conn, name, "rejection", spec, fingerprint, move, generation)

    def lineage(self, alias: str) -> list[AliasEvent]:
        """Every promotion and rejection of ``alias``, oldest first."""
        with self.store._read() as conn:
            rows = conn.execute(sa.select(_E).where(_E.c.alias == alias)
                                .order_by(_E.c.created_at, _E.c.event_id)).all()
        return [AliasEvent(**row._mapping) for row in rows]

    def gated(self, alias: str) -> set[str]:
        """Checkpoint paths already judged for ``alias`` (by ``harness gate --watch``)."""
        with self.store._read() as conn:
            return set(conn.scalars(sa.select(_G.c.path).where(_G.c.alias == alias)))

    def mark_gated(self, alias: str, path: str, outcome: str, comparison_id: str | None) -> None:
        with self.store._write("recording a gated checkpoint") as conn:
            conn.execute(_G.delete().where(_G.c.alias == alias, _G.c.path == path))
            conn.execute(_G.insert().values(alias=alias, path=path, outcome=outcome,
                                            comparison_id=comparison_id, gated_at=_now()))


class _Retry(Exception):
    """A manual promotion saw the alias move between its read and its write."""


def _swap(conn: sa.Connection, alias: str, spec: str, fingerprint: dict[str, Any], expected: int) -> bool:
    """Compare-and-swap on the alias row: move it only if its generation is ``expected``."""
    values = {"model_spec": spec, "model_fingerprint": clean_json(fingerprint),
              "generation": expected + 1, "updated_at": _now()}
    if expected == 0:
        conn.execute(_A.insert().values(alias=alias, **values))  # IntegrityError when it exists
        return True
    done = conn.execute(_A.update().where(_A.c.alias == alias, _A.c.generation == expected).values(**values))
    return done.rowcount == 1


def _append(conn: sa.Connection, alias: str, kind: EventKind, spec: str, fingerprint: dict[str, Any],
            move: Move, generation: int) -> AliasEvent:
    event = AliasEvent(event_id=uuid.uuid4().hex, alias=alias, kind=kind, model_spec=spec,
                       model_fingerprint=clean_json(fingerprint), champion_spec=move.champion_spec,
                       comparison_id=move.comparison_id, verdict=move.verdict, generation=generation,
                       user=current_user(), reason=move.reason, created_at=_now())
    conn.execute(_E.insert().values(**event.__dict__))
    return event


def alias_spec(alias: str, database: str) -> str:
    """The model spec ``@alias`` stands for, read from the history database at ``database``."""
    with Store(database) as store:
        return Aliases(store).require(alias).model_spec

"""Numbered, idempotent migrations.

``MIGRATIONS[i]`` brings the schema from version ``i`` to ``i + 1``. Applied versions are
recorded in ``schema_version``; running :func:`migrate` again is a no-op. Several processes
may migrate a fresh database at once: the whole migration runs in one write transaction
(SQLite ``BEGIN IMMEDIATE``; PostgreSQL also takes a transaction-level advisory lock), so
the second process waits and then finds nothing left to do.

Each step lives in its own module (``v001_tables``, ``v002_indexes``, ...) with its DDL
frozen: a step never reads ``schema.py``, so editing the models cannot change what an old
step creates. To change the schema, add a module ``vNNN_<what>.py`` with ``upgrade(conn)``,
append it to ``MIGRATIONS`` and change ``schema.py`` to match; never edit a step that has
shipped. ``tests/test_store.py`` builds a fresh database from the steps and fails when it
differs from ``schema.metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from harness.store.engine import READ_ONLY
from harness.store.migrations import (
    v001_tables,
    v002_indexes,
    v003_judge_calibrations,
    v004_aliases,
    v005_paging_indexes,
    v006_case_reports,
)

Migration = Callable[[sa.Connection], None]
_PG_LOCK_KEY = 0x6861726E  # "harn"

# The bookkeeping table, frozen like the steps (``schema.schema_version`` must match it).
_schema_version = sa.Table(
    "schema_version", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

MIGRATIONS: tuple[Migration, ...] = (v001_tables.upgrade, v002_indexes.upgrade, v003_judge_calibrations.upgrade,
                                     v004_aliases.upgrade, v005_paging_indexes.upgrade,
                                     v006_case_reports.upgrade)
LATEST = len(MIGRATIONS)


def migrate(engine: Engine) -> int:
    """Apply pending migrations; return how many were applied (0 when up to date)."""
    if current_version(engine) == LATEST:
        return 0
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        _schema_version.create(conn, checkfirst=True)
        version = _version(conn)
        for number in range(version + 1, LATEST + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(_schema_version.insert().values(
                version=number, applied_at=datetime.now(timezone.utc).isoformat()))
        return LATEST - version


def current_version(engine: Engine) -> int:
    """The schema version of the database (0 for an empty one)."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        if not sa.inspect(conn).has_table(_schema_version.name):
            return 0
        return _version(conn)


def _version(conn: sa.Connection) -> int:
    return int(conn.scalar(sa.select(sa.func.max(_schema_version.c.version))) or 0)

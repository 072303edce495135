"""Numbered, idempotent migrations.

``MIGRATIONS[i]`` brings the schema from version ``i`` to ``i + 1``. Applied versions are
recorded in ``schema_version``; running :func:`migrate` again is a no-op. Several processes
may migrate a fresh database at once: the whole migration runs in one write transaction
(SQLite ``BEGIN IMMEDIATE``; PostgreSQL also takes a transaction-level advisory lock), so
the second process waits and then finds nothing left to do.

To change the schema, append a step here and change ``schema.py`` to match; never edit a
step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from harness.store import schema
from harness.store.engine import READ_ONLY

Migration = Callable[[sa.Connection], None]
_PG_LOCK_KEY = 0x6861726E  # "harn"


def _create_tables(conn: sa.Connection) -> None:
    """1: runs, per-case and per-sample results, comparisons."""
    for table in (schema.runs, schema.run_cases, schema.results, schema.case_tags,
                  schema.comparisons,
                  schema.comparison_suites, schema.comparison_cases):
        conn.execute(sa.schema.CreateTable(table))


def _create_indexes(conn: sa.Connection) -> None:
    """2: indexes for the dashboard's queries."""
    for index in schema.INDEXES:
        conn.execute(sa.schema.CreateIndex(index))


MIGRATIONS: tuple[Migration, ...] = (_create_tables, _create_indexes)
LATEST = len(MIGRATIONS)


def migrate(engine: Engine) -> int:
    """Apply pending migrations; return how many were applied (0 when up to date)."""
    if current_version(engine) == LATEST:
        return 0
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        schema.schema_version.create(conn, checkfirst=True)
        version = _version(conn)
        for number in range(version + 1, LATEST + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(schema.schema_version.insert().values(
                version=number, applied_at=datetime.now(timezone.utc).isoformat()))
        return LATEST - version


def current_version(engine: Engine) -> int:
    """The schema version of the database (0 for an empty one)."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        if not sa.inspect(conn).has_table(schema.schema_version.name):
            return 0
        return _version(conn)


def _version(conn: sa.Connection) -> int:
    return int(conn.scalar(sa.select(sa.func.max(schema.schema_version.c.version))) or 0)

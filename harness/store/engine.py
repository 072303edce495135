"""Engine creation: any SQLAlchemy URL; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from harness.errors import UsageError
from harness.store.jsonsafe import serialize

DEFAULT_URL = "sqlite:///.harness/history.db"
BUSY_TIMEOUT_MS = 60_000
READ_ONLY = "harness_read_only"  # execution option: a deferred (shared) SQLite transaction


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; for SQLite files create the parent folder first."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True, future=True, json_serializer=serialize)
    _create_parent_folder(parsed)
    engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, json_serializer=serialize)
    _install_sqlite_listeners(engine, in_memory=_is_memory(parsed))
    return engine


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _create_parent_folder(url: URL) -> None:
    if _is_memory(url) or str(url.database).startswith("file:"):
        return
    Path(str(url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_listeners(engine: Engine, *, in_memory: bool) -> None:
    """The SQLAlchemy recipe: let SQLAlchemy emit BEGIN itself so writes take the lock up front."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN from pysqlite
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

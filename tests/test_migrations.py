"""Migrations are append-only: a database built from the frozen steps equals ``schema.metadata``.

Runs on SQLite, and on PostgreSQL when HARNESS_TEST_PG_URL is set.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from harness.store import Store, schema
from harness.store.engine import make_engine
from harness.store.migrations import LATEST, current_version, migrate
from tests.store_support import make_run

OLD_DB_SQL = Path(__file__).parent / "golden" / "store_v2_before_freeze.sqlite.sql"


def _type_family(type_: sa.types.TypeEngine[Any]) -> str:
    """A loose type name: the generic family, plus the length of strings."""
    family = type_._type_affinity or type(type_)  # e.g. DOUBLE_PRECISION -> Float
    length = getattr(type_, "length", None)
    if family is sa.Text:
        family = sa.String  # PostgreSQL reflects TEXT as TEXT, SQLite too; keep them one family
        length = length or None
    return f"{family.__name__}({length})" if length else family.__name__


def _describe_model(metadata: sa.MetaData) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table in metadata.sorted_tables:
        tables[table.name] = {
            "columns": {c.name: (_type_family(c.type), c.nullable) for c in table.columns},
            "primary_key": sorted(c.name for c in table.primary_key.columns),
            "foreign_keys": sorted((fk.parent.name, fk.column.table.name, fk.column.name,
                                    fk.ondelete) for fk in table.foreign_keys),
            "indexes": sorted((ix.name, tuple(c.name for c in ix.columns), bool(ix.unique))
                              for ix in table.indexes),
        }
    return tables


def _describe_database(engine: sa.Engine) -> dict[str, Any]:
    inspector = sa.inspect(engine)
    tables: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        tables[name] = {
            "columns": {c["name"]: (_type_family(c["type"]), c["nullable"])
                        for c in inspector.get_columns(name)},
            "primary_key": sorted(inspector.get_pk_constraint(name)["constrained_columns"]),
            "foreign_keys": sorted(
                (col, fk["referred_table"], ref, (fk.get("options") or {}).get("ondelete"))
                for fk in inspector.get_foreign_keys(name)
                for col, ref in zip(fk["constrained_columns"], fk["referred_columns"])),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                              for ix in inspector.get_indexes(name)),
        }
    return tables


def _differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    diffs = [f"table {t}: only in the models" for t in expected.keys() - actual.keys()]
    diffs += [f"table {t}: only in the migrated database" for t in actual.keys() - expected.keys()]
    for table in sorted(expected.keys() & actual.keys()):
        for aspect, want in expected[table].items():
            got = actual[table][aspect]
            if want != got:
                diffs.append(f"{table}.{aspect}: models {want!r} != migrations {got!r}")
    return diffs


def test_fresh_database_from_migrations_equals_the_models(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        assert migrate(engine) == LATEST
        described = _describe_database(engine)
    finally:
        engine.dispose()
    assert set(described) == {t.name for t in schema.metadata.sorted_tables}
    assert described["runs"]["indexes"], "the index step ran"
    assert _differences(_describe_model(schema.metadata), described) == []


def test_a_model_change_without_a_migration_is_detected(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        migrate(engine)
        described = _describe_database(engine)
    finally:
        engine.dispose()
    changed = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["runs"].append_column(sa.Column("notes", sa.Text))
    changed.tables["results"].c.error.nullable = False
    sa.Index("ix_results_passed", changed.tables["results"].c.passed)
    diffs = _differences(_describe_model(changed), described)
    assert len(diffs) == 3, diffs
    assert any("runs.columns" in d and "notes" in d for d in diffs)
    assert any(d.startswith("results.indexes") for d in diffs)


def test_database_created_before_the_freeze_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_DB_SQL.read_text(encoding="utf-8"))
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        assert current_version(engine) == 2
        assert migrate(engine) == LATEST - 2
        assert _differences(_describe_model(schema.metadata), _describe_database(engine)) == []
    finally:
        engine.dispose()
    with Store(url) as store:
        run_id = store.save_run(make_run())
        row = store.run(run_id)
        assert row is not None and row.status == "complete"
        assert len(store.results(run_id)) > 0

"""Migration 2 (frozen): indexes for the dashboard's queries. Never edit; append a step."""

from __future__ import annotations

import sqlalchemy as sa

from harness.store.migrations.v001_tables import (
    comparison_cases,
    comparison_suites,
    comparisons,
    run_cases,
    runs,
)

INDEXES = (
    sa.Index("ix_runs_suite_started", runs.c.suite_id, runs.c.started_at),
    sa.Index("ix_run_cases_case", run_cases.c.case_id),
    sa.Index("ix_comparisons_created", comparisons.c.created_at),
    sa.Index("ix_comparison_suites_suite", comparison_suites.c.suite_id),
    sa.Index("ix_comparison_cases_case", comparison_cases.c.suite_id, comparison_cases.c.case_id),
)


def upgrade(conn: sa.Connection) -> None:
    """Create the step-2 indexes."""
    for index in INDEXES:
        conn.execute(sa.schema.CreateIndex(index))

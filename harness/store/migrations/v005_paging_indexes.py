"""Migration 5 (frozen): indexes for paged, newest-first listings. Never edit; append a step.

Runs and comparisons are listed newest first with a unique tie-breaker (``started_at, run_id``;
``created_at, comparison_id``), so LIMIT/OFFSET pages cover every row exactly once; these
indexes serve that order without sorting the table. ``ix_comparisons_created`` (step 2) is
replaced by the two-column index; ``ix_case_tags_tag`` serves the tag filter and its menu.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

_runs = sa.Table("runs", metadata, sa.Column("run_id", sa.String(32)), sa.Column("started_at", sa.String(40)))
_comparisons = sa.Table("comparisons", metadata, sa.Column("comparison_id", sa.String(32)),
                        sa.Column("created_at", sa.String(40)))
_case_tags = sa.Table("case_tags", metadata, sa.Column("suite_id", sa.String(255)), sa.Column("tag", sa.String(255)))

INDEXES = (
    sa.Index("ix_runs_started", _runs.c.started_at, _runs.c.run_id),
    sa.Index("ix_comparisons_created_id", _comparisons.c.created_at, _comparisons.c.comparison_id),
    sa.Index("ix_case_tags_tag", _case_tags.c.tag, _case_tags.c.suite_id),
)


def upgrade(conn: sa.Connection) -> None:
    """Replace the one-column comparisons index; create the step-5 indexes."""
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_comparisons_created"))
    for index in INDEXES:
        conn.execute(sa.schema.CreateIndex(index))

"""Migration 6 (frozen): each compared case's part of the report in its ``comparison_cases`` row.
Never edit; append a step.

The report of a 100,000-case comparison is about 100 MB of JSON, and the dashboard shows it a page
of cases at a time. From this step on a comparison's cases are stored in their rows (``report``:
the case's JSON; ``ordinal``: its place in the suite's list of cases) and ``comparisons.report``
keeps the rest (its suites without their ``cases``). Comparisons stored before keep their whole
report in ``comparisons.report``, and the new columns of their case rows stay NULL; readers take
each suite's cases from wherever they are. ``ix_comparison_cases_status`` serves the counts per
status and the order of the comparison page (status, then suite, then case) from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

_comparison_cases = sa.Table(
    "comparison_cases", metadata,
    sa.Column("comparison_id", sa.String(32)), sa.Column("suite_id", sa.String(255)),
    sa.Column("case_id", sa.String(255)), sa.Column("status", sa.String(16)))

INDEX = sa.Index("ix_comparison_cases_status", _comparison_cases.c.comparison_id, _comparison_cases.c.status,
                 _comparison_cases.c.suite_id, _comparison_cases.c.case_id)


def upgrade(conn: sa.Connection) -> None:
    """Add ``ordinal`` and ``report`` (both nullable) to ``comparison_cases``; create the status index."""
    conn.execute(sa.text("ALTER TABLE comparison_cases ADD COLUMN ordinal INTEGER"))
    conn.execute(sa.text("ALTER TABLE comparison_cases ADD COLUMN report JSON"))
    conn.execute(sa.schema.CreateIndex(INDEX))

"""Migration 3 (frozen): judge calibrations against human labels. Never edit; append a step."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

KEY = 255

judge_calibrations = sa.Table(
    "judge_calibrations", metadata,
    sa.Column("calibration_id", sa.String(32), primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("judge", sa.String(KEY), nullable=False),
    sa.Column("judge_fingerprint", sa.JSON, nullable=False),
    sa.Column("suite_id", sa.String(KEY), nullable=False),
    sa.Column("labels", sa.Integer, nullable=False),
    sa.Column("accuracy", sa.Float),
    sa.Column("kappa", sa.Float),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Index("ix_judge_calibrations_judge", "judge", "created_at"),
)


def upgrade(conn: sa.Connection) -> None:
    """Create the judge_calibrations table and its index."""
    judge_calibrations.create(conn)

"""Migration 4 (frozen): model aliases, their lineage, and checkpoints already gated.

``aliases`` holds each alias's current model and a ``generation`` counter that every move
increments (the compare-and-swap token); ``alias_events`` is the append-only lineage
(promotions and rejections); ``gated_checkpoints`` remembers which watched checkpoint
folders were judged. Never edit this file; append a new step instead.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

KEY = 255

aliases = sa.Table(
    "aliases", metadata,
    sa.Column("alias", sa.String(KEY), primary_key=True),
    sa.Column("model_spec", sa.Text, nullable=False),
    sa.Column("model_fingerprint", sa.JSON, nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

alias_events = sa.Table(
    "alias_events", metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("alias", sa.String(KEY), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # promotion | rejection
    sa.Column("model_spec", sa.Text, nullable=False),
    sa.Column("model_fingerprint", sa.JSON, nullable=False),
    sa.Column("champion_spec", sa.Text),  # the model it was judged against (None: first)
    sa.Column("comparison_id", sa.String(32)),
    sa.Column("verdict", sa.String(16)),
    sa.Column("generation", sa.Integer, nullable=False),  # alias generation after the event
    sa.Column("user", sa.String(KEY), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False),
)

gated_checkpoints = sa.Table(
    "gated_checkpoints", metadata,
    sa.Column("alias", sa.String(KEY), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("comparison_id", sa.String(32)),
    sa.Column("gated_at", sa.String(40), nullable=False),
)

INDEXES = (sa.Index("ix_alias_events_alias", alias_events.c.alias, alias_events.c.created_at),)


def upgrade(conn: sa.Connection) -> None:
    """Create the step-4 tables and index."""
    for table in (aliases, alias_events, gated_checkpoints):
        conn.execute(sa.schema.CreateTable(table))
    for index in INDEXES:
        conn.execute(sa.schema.CreateIndex(index))

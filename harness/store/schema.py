"""Table definitions: the current schema. Change it only together with a new migration step
(see ``harness.store.migrations``); a test compares it with a database built from the steps."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

KEY = 255  # longest suite id, case id or model spec we index

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # incomplete | complete
    sa.Column("suite_id", sa.String(KEY), nullable=False),
    sa.Column("suite_hash", sa.String(128), nullable=False),
    sa.Column("prompt_hash", sa.String(128), nullable=False),
    sa.Column("prompt_version", sa.String(KEY), nullable=False),
    sa.Column("model_spec", sa.Text, nullable=False),
    sa.Column("model_fingerprint", sa.JSON, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("samples", sa.Integer, nullable=False),
    sa.Column("versions", sa.JSON, nullable=False),
    sa.Column("host", sa.JSON, nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("pass_rate", sa.Float),
)

run_cases = sa.Table(
    "run_cases", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("case_id", sa.String(KEY), primary_key=True),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("reference", sa.Text),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("n_passed", sa.Integer, nullable=False),
    sa.Column("pass_rate", sa.Float, nullable=False),
    sa.Column("consistent", sa.Boolean, nullable=False),  # every sample and paraphrase agrees
)

results = sa.Table(
    "results", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("case_id", sa.String(KEY), primary_key=True),
    sa.Column("variant", sa.String(64), primary_key=True),
    sa.Column("sample", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("latency_s", sa.Float, nullable=False),
    sa.Column("new_tokens", sa.Integer),
    sa.Column("cached", sa.Boolean, nullable=False),
)

case_tags = sa.Table(  # the latest known tags of each case, for filters
    "case_tags", metadata,
    sa.Column("suite_id", sa.String(KEY), primary_key=True),
    sa.Column("case_id", sa.String(KEY), primary_key=True),
    sa.Column("tag", sa.String(KEY), primary_key=True),
)

comparisons = sa.Table(
    "comparisons", metadata,
    sa.Column("comparison_id", sa.String(32), primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("report", sa.JSON, nullable=False),
)

comparison_suites = sa.Table(
    "comparison_suites", metadata,
    sa.Column("comparison_id", sa.String(32),
              sa.ForeignKey("comparisons.comparison_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("suite_id", sa.String(KEY), primary_key=True),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("baseline_run_id", sa.String(32)),
    sa.Column("candidate_run_id", sa.String(32)),
    sa.Column("baseline_model", sa.Text),
    sa.Column("candidate_model", sa.Text),
    sa.Column("baseline_prompt_version", sa.String(KEY)),
    sa.Column("candidate_prompt_version", sa.String(KEY)),
    sa.Column("baseline_pass_rate", sa.Float),
    sa.Column("candidate_pass_rate", sa.Float),
    sa.Column("pass_rate_delta", sa.Float),
    sa.Column("mean_drift", sa.Float),
    sa.Column("stats", sa.JSON, nullable=False),
)

comparison_cases = sa.Table(
    "comparison_cases", metadata,
    sa.Column("comparison_id", sa.String(32),
              sa.ForeignKey("comparisons.comparison_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("suite_id", sa.String(KEY), primary_key=True),
    sa.Column("case_id", sa.String(KEY), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("baseline_pass_rate", sa.Float),
    sa.Column("candidate_pass_rate", sa.Float),
    sa.Column("drift", sa.Float),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("ordinal", sa.Integer),   # the case's place in its suite's list (NULL: stored before step 6)
    sa.Column("report", sa.JSON),       # the case's part of the report (NULL: it is in comparisons.report)
)

aliases = sa.Table(  # each alias's current model; ``generation`` is the compare-and-swap token
    "aliases", metadata,
    sa.Column("alias", sa.String(KEY), primary_key=True),
    sa.Column("model_spec", sa.Text, nullable=False),
    sa.Column("model_fingerprint", sa.JSON, nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

alias_events = sa.Table(  # the lineage: promotions and rejections, append-only
    "alias_events", metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("alias", sa.String(KEY), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("model_spec", sa.Text, nullable=False),
    sa.Column("model_fingerprint", sa.JSON, nullable=False),
    sa.Column("champion_spec", sa.Text),
    sa.Column("comparison_id", sa.String(32)),
    sa.Column("verdict", sa.String(16)),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("user", sa.String(KEY), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False),
)

gated_checkpoints = sa.Table(  # watched checkpoint folders already judged, per alias
    "gated_checkpoints", metadata,
    sa.Column("alias", sa.String(KEY), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("comparison_id", sa.String(32)),
    sa.Column("gated_at", sa.String(40), nullable=False),
)

INDEXES = (
    sa.Index("ix_runs_suite_started", runs.c.suite_id, runs.c.started_at),
    sa.Index("ix_run_cases_case", run_cases.c.case_id),
    sa.Index("ix_runs_started", runs.c.started_at, runs.c.run_id),
    sa.Index("ix_comparisons_created_id", comparisons.c.created_at, comparisons.c.comparison_id),
    sa.Index("ix_case_tags_tag", case_tags.c.tag, case_tags.c.suite_id),
    sa.Index("ix_comparison_suites_suite", comparison_suites.c.suite_id),
    sa.Index("ix_comparison_cases_case", comparison_cases.c.suite_id, comparison_cases.c.case_id),
    sa.Index("ix_comparison_cases_status", comparison_cases.c.comparison_id, comparison_cases.c.status,
             comparison_cases.c.suite_id, comparison_cases.c.case_id),
    sa.Index("ix_alias_events_alias", alias_events.c.alias, alias_events.c.created_at),
)

judge_calibrations = sa.Table(  # `harness judge-calibrate`: a judge against human labels
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

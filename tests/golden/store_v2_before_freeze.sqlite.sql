-- A history database as created by the store before migrations were frozen (commit 71e2340).
-- Loaded by tests/test_migrations.py to show such databases still open. Do not regenerate.
BEGIN TRANSACTION;
CREATE TABLE case_tags (
	suite_id VARCHAR(255) NOT NULL, 
	case_id VARCHAR(255) NOT NULL, 
	tag VARCHAR(255) NOT NULL, 
	PRIMARY KEY (suite_id, case_id, tag)
);
CREATE TABLE comparison_cases (
	comparison_id VARCHAR(32) NOT NULL, 
	suite_id VARCHAR(255) NOT NULL, 
	case_id VARCHAR(255) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	baseline_pass_rate FLOAT, 
	candidate_pass_rate FLOAT, 
	drift FLOAT, 
	tags JSON NOT NULL, 
	PRIMARY KEY (comparison_id, suite_id, case_id), 
	FOREIGN KEY(comparison_id) REFERENCES comparisons (comparison_id) ON DELETE CASCADE
);
CREATE TABLE comparison_suites (
	comparison_id VARCHAR(32) NOT NULL, 
	suite_id VARCHAR(255) NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	baseline_run_id VARCHAR(32), 
	candidate_run_id VARCHAR(32), 
	baseline_model TEXT, 
	candidate_model TEXT, 
	baseline_prompt_version VARCHAR(255), 
	candidate_prompt_version VARCHAR(255), 
	baseline_pass_rate FLOAT, 
	candidate_pass_rate FLOAT, 
	pass_rate_delta FLOAT, 
	mean_drift FLOAT, 
	stats JSON NOT NULL, 
	PRIMARY KEY (comparison_id, suite_id), 
	FOREIGN KEY(comparison_id) REFERENCES comparisons (comparison_id) ON DELETE CASCADE
);
CREATE TABLE comparisons (
	comparison_id VARCHAR(32) NOT NULL, 
	created_at VARCHAR(40) NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	reasons JSON NOT NULL, 
	report JSON NOT NULL, 
	PRIMARY KEY (comparison_id)
);
CREATE TABLE results (
	run_id VARCHAR(32) NOT NULL, 
	case_id VARCHAR(255) NOT NULL, 
	variant VARCHAR(64) NOT NULL, 
	sample INTEGER NOT NULL, 
	output TEXT NOT NULL, 
	passed BOOLEAN NOT NULL, 
	scores JSON NOT NULL, 
	error TEXT, 
	latency_s FLOAT NOT NULL, 
	new_tokens INTEGER, 
	cached BOOLEAN NOT NULL, 
	PRIMARY KEY (run_id, case_id, variant, sample), 
	FOREIGN KEY(run_id) REFERENCES runs (run_id) ON DELETE CASCADE
);
CREATE TABLE run_cases (
	run_id VARCHAR(32) NOT NULL, 
	case_id VARCHAR(255) NOT NULL, 
	tags JSON NOT NULL, 
	reference TEXT, 
	n INTEGER NOT NULL, 
	n_passed INTEGER NOT NULL, 
	pass_rate FLOAT NOT NULL, 
	consistent BOOLEAN NOT NULL, 
	PRIMARY KEY (run_id, case_id), 
	FOREIGN KEY(run_id) REFERENCES runs (run_id) ON DELETE CASCADE
);
CREATE TABLE runs (
	run_id VARCHAR(32) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	suite_id VARCHAR(255) NOT NULL, 
	suite_hash VARCHAR(128) NOT NULL, 
	prompt_hash VARCHAR(128) NOT NULL, 
	prompt_version VARCHAR(255) NOT NULL, 
	model_spec TEXT NOT NULL, 
	model_fingerprint JSON NOT NULL, 
	params JSON NOT NULL, 
	seed INTEGER NOT NULL, 
	samples INTEGER NOT NULL, 
	versions JSON NOT NULL, 
	host JSON NOT NULL, 
	started_at VARCHAR(40) NOT NULL, 
	finished_at VARCHAR(40), 
	pass_rate FLOAT, 
	PRIMARY KEY (run_id)
);
CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_version" VALUES(1,'2026-12-01T20:25:29.869815+00:00');
INSERT INTO "schema_version" VALUES(2,'2026-12-01T20:25:29.871976+00:00');
CREATE INDEX ix_runs_suite_started ON runs (suite_id, started_at);
CREATE INDEX ix_run_cases_case ON run_cases (case_id);
CREATE INDEX ix_comparisons_created ON comparisons (created_at);
CREATE INDEX ix_comparison_suites_suite ON comparison_suites (suite_id);
CREATE INDEX ix_comparison_cases_case ON comparison_cases (suite_id, case_id);
COMMIT;

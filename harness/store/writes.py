"""Row building and idempotent upserts (pure functions of the harness types, plus one executor)."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from harness.analysis.report import ComparisonReport, SuiteReport
from harness.errors import UsageError
from harness.generation.sanitize import clean_text
from harness.store import schema
from harness.store.jsonsafe import clean_json, json_text, model_json, serialize
from harness.types import CaseResult, RunInfo, SampleResult


def run_row(run_id: str, info: RunInfo, kind: str) -> dict[str, Any]:
    """The ``runs`` row of a new run: status ``incomplete`` until :meth:`Store.finish_run`."""
    _check_key("suite id", info.suite_id)
    return {"run_id": run_id, "kind": kind, "status": "incomplete", "suite_id": info.suite_id,
            "suite_hash": info.suite_hash, "prompt_hash": info.prompt_hash,
            "prompt_version": info.prompt_version, "model_spec": info.model_spec,
            "model_fingerprint": clean_json(info.model_fingerprint),
            "params": clean_json(info.params), "seed": info.seed, "samples": info.samples,
            "versions": clean_json(info.versions), "host": clean_json(info.host),
            "started_at": info.started_at, "finished_at": info.finished_at, "pass_rate": None}


def case_rows(run_id: str, case: CaseResult) -> dict[str, Any]:
    """The ``run_cases`` row: the case's pass rate over its main samples and its consistency."""
    _check_key("case id", case.case_id)
    verdicts = {s.passed for s in _all_samples(case)}
    return {"run_id": run_id, "case_id": case.case_id, "tags": list(case.tags),
            "reference": case.reference, "n": case.n, "n_passed": case.n_passed,
            "pass_rate": case.pass_rate if case.pass_rate is not None else 0.0, "consistent": len(verdicts) <= 1}


def result_rows(run_id: str, case: CaseResult) -> list[dict[str, Any]]:
    """One ``results`` row per sample, paraphrase samples included (told apart by ``variant``)."""
    return [{"run_id": run_id, "case_id": case.case_id, "variant": s.variant, "sample": s.sample,
             "output": clean_text(s.output), "passed": bool(s.passed),
             "scores": json_text([score.as_dict() for score in s.scores]), "error": s.error,
             "latency_s": float(s.latency_s), "new_tokens": s.new_tokens, "cached": bool(s.cached)}
            for s in _all_samples(case)]


def tag_rows(suite_id: str, case: CaseResult) -> list[dict[str, Any]]:
    """``case_tags`` rows: the tags this run knew for the case."""
    return [{"suite_id": suite_id, "case_id": case.case_id, "tag": tag} for tag in set(case.tags)]


def _all_samples(case: CaseResult) -> Iterable[SampleResult]:
    yield from case.samples
    for group in case.paraphrases:
        yield from group


def _check_key(what: str, value: str) -> None:
    if len(value) > schema.KEY:
        raise UsageError(f"{what} is longer than {schema.KEY} characters: {value[:40]!r}...")


def upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, replacing any row with the same primary key (idempotent)."""
    if not rows:
        return
    if conn.dialect.name not in ("sqlite", "postgresql"):
        _delete_then_insert(conn, table, rows, [c.name for c in table.primary_key.columns])
    elif len(rows) < BULK_ROWS:
        conn.execute(_upsert_statement(conn.dialect, table), list(rows))
    else:
        _executemany(conn, table, rows)


BULK_ROWS = 500   # from this many rows on, parameters go to the driver without SQLAlchemy's per-row processing


@functools.lru_cache(maxsize=64)
def _upsert_statement(dialect: sa.Dialect, table: sa.Table) -> sa.Insert:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE`` every other column (or ``DO NOTHING``)."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = {"sqlite": sqlite, "postgresql": postgresql}[dialect.name].insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return (stmt.on_conflict_do_update(index_elements=keys, set_=updates) if updates
            else stmt.on_conflict_do_nothing(index_elements=keys))


@functools.lru_cache(maxsize=64)
def _bulk_statement(dialect: sa.Dialect, table: sa.Table) -> tuple[str, list[str], bool]:
    """The upsert compiled for the driver: its SQL, the parameters' names in order, and whether positional."""
    stmt = _upsert_statement(dialect, table).values({c.name: sa.bindparam(c.name) for c in table.columns})
    compiled = stmt.compile(dialect=dialect)
    names = list(compiled.positiontup or []) if compiled.positional else [c.name for c in table.columns]
    return str(compiled), names, compiled.positional


def _executemany(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """The upsert's ``executemany`` straight through the driver: JSON columns encoded by the engines' JSON
    serializer (``jsonsafe.serialize``, as SQLAlchemy's JSON type encodes them), every other value as given.
    SQLAlchemy's own path spends most of a big insert preparing each row's parameters."""
    sql, names, positional = _bulk_statement(conn.dialect, table)
    json_at = [i for i, name in enumerate(names) if isinstance(table.c[name].type, sa.JSON)]
    values = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    params: list[Any] = []
    for row in rows:
        try:
            param = list(values(row))
        except KeyError:   # a column the row leaves out is NULL
            param = [row.get(name) for name in names]
        for i in json_at:
            param[i] = serialize(param[i])
        params.append(tuple(param) if positional else dict(zip(names, param)))
    conn.exec_driver_sql(sql, params)


def _delete_then_insert(conn: sa.Connection, table: sa.Table,
                        rows: Sequence[dict[str, Any]], keys: list[str]) -> None:
    for row in rows:
        conn.execute(table.delete().where(*(table.c[k] == row[k] for k in keys)))
    conn.execute(table.insert(), list(rows))


def comparison_rows(comparison_id: str, created_at: str,
                    report: ComparisonReport) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``comparisons`` row (verdict, reasons, the JSON report without its suites' ``cases``) and
    the ``comparison_cases`` rows (each case's status, pass rates, drift and its part of the report)."""
    cases = [row for suite in report.suites for row in comparison_case_rows(comparison_id, suite)]
    head = {"comparison_id": comparison_id, "created_at": created_at, "verdict": report.verdict,
            "reasons": list(report.reasons), "report": model_json(report, {"suites": {"__all__": {"cases"}}})}
    return head, cases


def comparison_suite_row(comparison_id: str, suite: SuiteReport, baseline_run_id: str | None,
                         candidate_run_id: str | None) -> dict[str, Any]:
    """One ``comparison_suites`` row from one suite of the report."""
    base, cand = suite.baseline, suite.candidate
    delta = suite.stats.pass_rate_delta
    if delta is None:
        delta = cand.pass_rate - base.pass_rate
    mean_drift = _num(suite.drift.mean)
    drifts = [d for d in (_num(c.drift) for c in suite.cases) if d is not None]
    if mean_drift is None and drifts:
        mean_drift = sum(drifts) / len(drifts)
    _check_key("suite id", suite.id)
    return {"comparison_id": comparison_id, "suite_id": suite.id, "verdict": suite.verdict or "",
            "baseline_run_id": baseline_run_id, "candidate_run_id": candidate_run_id,
            "baseline_model": base.model, "candidate_model": cand.model,
            "baseline_prompt_version": base.prompt_version, "candidate_prompt_version": cand.prompt_version,
            "baseline_pass_rate": _num(base.pass_rate), "candidate_pass_rate": _num(cand.pass_rate),
            "pass_rate_delta": _num(delta), "mean_drift": mean_drift,
            "stats": clean_json(suite.stats.model_dump(mode="json"))}


def comparison_case_rows(comparison_id: str, suite: SuiteReport) -> list[dict[str, Any]]:
    """``comparison_cases`` rows: each case's status, pass rates, drift, its place in the suite's list
    and its part of the report (JSON text, as the report's JSON has it)."""
    rows = []
    for ordinal, case in enumerate(suite.cases):
        _check_key("case id", case.id)
        rows.append({"comparison_id": comparison_id, "suite_id": suite.id, "case_id": case.id,
                     "status": case.status.value, "baseline_pass_rate": _num(case.baseline_pass_rate),
                     "candidate_pass_rate": _num(case.candidate_pass_rate), "drift": _num(case.drift),
                     "tags": list(case.tags), "ordinal": ordinal, "report": model_json(case)})
    return rows


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None

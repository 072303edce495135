"""Row building and idempotent upserts (pure functions of the harness types, plus one executor)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from harness.analysis.report import ComparisonReport, SuiteReport
from harness.errors import UsageError
from harness.generation.sanitize import clean_text
from harness.store import schema
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
             "scores": clean_json([score.as_dict() for score in s.scores]), "error": s.error,
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


def clean_json(value: Any) -> Any:
    """A JSON-safe copy: NaN and infinities become ``None`` (PostgreSQL's json rejects them), lone
    surrogates U+FFFD."""
    kind = type(value)   # the usual exact types first: an isinstance against Mapping costs more
    if kind is str:
        return clean_text(value)
    if kind is dict:
        return {k if type(k) is str else str(k): clean_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [clean_json(v) for v in value]
    if kind is bool or kind is int or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def report_json(report: ComparisonReport) -> dict[str, Any]:
    """The report as JSON-safe data, as ``clean_json`` makes it: through pydantic's JSON serializer
    (which writes NaN and infinities as null) and the C JSON parser, several times faster than a walk
    over the dumped dict for big reports; a lone surrogate (which the serializer cannot encode) takes
    the walk, which replaces it."""
    try:
        return json.loads(report.model_dump_json())
    except ValueError:
        return clean_json(report.model_dump(mode="json"))


def upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, replacing any row with the same primary key (idempotent)."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(conn.dialect.name)
    if dialect is None:
        _delete_then_insert(conn, table, rows, keys)
        return
    stmt = dialect.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    stmt = (stmt.on_conflict_do_update(index_elements=keys, set_=updates) if updates
            else stmt.on_conflict_do_nothing(index_elements=keys))
    if len(rows) < BULK_ROWS:
        conn.execute(stmt, list(rows))
    else:
        _executemany(conn, stmt.values({c.name: sa.bindparam(c.name) for c in table.columns}), table, rows)


BULK_ROWS = 500   # from this many rows on, parameters go to the driver without SQLAlchemy's per-row processing


def _executemany(conn: sa.Connection, stmt: sa.Insert, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """``executemany`` of ``stmt`` straight through the driver: JSON columns encoded as SQLAlchemy's
    JSON type encodes them (the engine's serializer; ``None`` is JSON null), every other value as
    given. SQLAlchemy's own path spends most of a big insert preparing each row's parameters."""
    compiled = stmt.compile(dialect=conn.dialect)
    dumps = getattr(conn.dialect, "_json_serializer", None) or json.dumps
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}

    def value(row: dict[str, Any], name: str) -> Any:
        return dumps(row.get(name)) if name in json_columns else row.get(name)

    names = [c.name for c in table.columns]
    if compiled.positional:
        order = compiled.positiontup or []
        params: list[Any] = [tuple(value(row, name) for name in order) for row in rows]
    else:
        params = [{name: value(row, name) for name in names} for row in rows]
    conn.exec_driver_sql(str(compiled), params)


def _delete_then_insert(conn: sa.Connection, table: sa.Table,
                        rows: Sequence[dict[str, Any]], keys: list[str]) -> None:
    for row in rows:
        conn.execute(table.delete().where(*(table.c[k] == row[k] for k in keys)))
    conn.execute(table.insert(), list(rows))


def comparison_rows(comparison_id: str, created_at: str,
                    report: ComparisonReport) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``comparisons`` row (verdict, reasons, the JSON report without its suites' ``cases``) and
    the ``comparison_cases`` rows (each case's status, pass rates, drift and its part of the report)."""
    data = report_json(report)
    cases = []
    for suite, suite_data in zip(report.suites, data["suites"]):
        cases += comparison_case_rows(comparison_id, suite, suite_data.pop("cases"))
    head = {"comparison_id": comparison_id, "created_at": created_at, "verdict": report.verdict,
            "reasons": list(report.reasons), "report": data}
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


def comparison_case_rows(comparison_id: str, suite: SuiteReport,
                         case_json: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``comparison_cases`` rows: each case's status, pass rates, drift, its place in the suite's list
    and its JSON (``case_json``, the cases as the report has them)."""
    rows = []
    for ordinal, (case, data) in enumerate(zip(suite.cases, case_json, strict=True)):
        _check_key("case id", case.id)
        rows.append({"comparison_id": comparison_id, "suite_id": suite.id, "case_id": case.id,
                     "status": case.status.value, "baseline_pass_rate": _num(case.baseline_pass_rate),
                     "candidate_pass_rate": _num(case.candidate_pass_rate), "drift": _num(case.drift),
                     "tags": list(case.tags), "ordinal": ordinal, "report": data})
    return rows


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None

"""Shared test support for the store, dashboard and HTML report: databases and realistic data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from harness.types import CaseResult, RunInfo, RunResult, SampleResult, Score

PG_ENV = "HARNESS_TEST_PG_URL"
XSS_OUTPUT = ('Sure! <script>alert(1)</script> <img src=x onerror=alert(1)> '
              '<a href="javascript:alert(1)">click</a> </textarea><b>bold</b>')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/db/history.db"
        return
    yield from _fresh_pg_database()


def _fresh_pg_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (run scripts/start_postgres.sh)")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"harness_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def make_info(suite_id: str = "capitals", *, model: str = "hf:HuggingFaceTB/SmolLM2-135M-Instruct",
              prompt_version: str = "v1", started_at: str = "2026-11-20T10:00:00+00:00",
              samples: int = 3) -> RunInfo:
    """A realistic RunInfo."""
    return RunInfo(
        suite_id=suite_id, suite_hash="sha256:" + "ab" * 16, prompt_hash="sha256:" + "cd" * 16,
        prompt_version=prompt_version, model_spec=model,
        model_fingerprint={"weights_sha256": "e3b0c442", "revision": "main", "dtype": "float32"},
        params={"max_new_tokens": 32, "temperature": 0.7, "top_p": 0.95, "stop": ["\n\n"]},
        seed=1234, samples=samples,
        versions={"harness": "0.1.0", "torch": "2.13.0", "transformers": "4.57.0"},
        host={"hostname": "ci-runner-3", "platform": "Linux-6.1-x86_64", "cpu_count": 2},
        started_at=started_at, finished_at=None)


def make_case(case_id: str, passes: Sequence[bool], *, outputs: Sequence[str] | None = None,
              tags: Sequence[str] = (), paraphrase_passes: Sequence[bool] = ()) -> CaseResult:
    """A case with one sample per entry of ``passes`` (and one paraphrase group, if given)."""
    texts = list(outputs) if outputs else [f"answer {i} for {case_id}" for i in range(len(passes))]

    def sample(i: int, ok: bool, variant: str, text: str) -> SampleResult:
        scores = (Score(check="icontains paris", type="icontains", passed=ok),
                  Score(check="rouge-l", type="rouge-l", passed=ok, value=0.8 if ok else 0.1,
                        threshold=0.3))
        return SampleResult(sample=i, output=text, scores=scores, passed=ok,
                            error=None, new_tokens=7, latency_s=0.25 + i,
                            cached=i % 2 == 1, variant=variant)

    samples = tuple(sample(i, ok, "main", texts[i % len(texts)]) for i, ok in enumerate(passes))
    para = tuple(sample(i, ok, "paraphrase-0", f"paraphrased {i}")
                 for i, ok in enumerate(paraphrase_passes))
    return CaseResult(case_id=case_id, samples=samples, tags=tuple(tags), reference="Paris",
                      paraphrases=(para,) if para else ())


def make_run(suite_id: str = "capitals", *, model: str = "hf:HuggingFaceTB/SmolLM2-135M-Instruct",
             prompt_version: str = "v1", day: int = 20, pattern: str = "ppf",
             xss_case: bool = False) -> RunResult:
    """A run of three cases; ``pattern`` gives each case's sample results (p/f), cycled."""
    cases = [make_case("france", [c == "p" for c in pattern], tags=["critical"],
                       outputs=["The capital of France is Paris."]),
             make_case("japan", [True, True, True], outputs=["Tokyo is the capital of Japan."]),
             make_case("peru", [False, True, False], tags=["geo"], outputs=["Lima, I think."])]
    if xss_case:
        cases.append(make_case("xss<script>", [True, True, True], outputs=[XSS_OUTPUT]))
    info = make_info(suite_id, model=model, prompt_version=prompt_version,
                     started_at=f"2026-11-{day:02d}T10:00:00+00:00")
    return RunResult(info=info, cases=tuple(cases))


def make_report(suite_id: str = "capitals", *, verdict: str = "fail",
                xss: bool = False) -> dict[str, Any]:
    """A comparison report in the DESIGN.md JSON shape, with realistic values."""
    bad = XSS_OUTPUT if xss else "The capital of France is Lyon."
    cases = [
        {"id": "france", "status": "regression", "baseline_pass_rate": 1.0,
         "candidate_pass_rate": 0.0, "drift": 0.41, "tags": ["critical"],
         "scores": {"icontains paris": {"baseline": 1.0, "candidate": 0.0}},
         "baseline_outputs": ["The capital of France is Paris."], "candidate_outputs": [bad]},
        {"id": "japan", "status": "stable_pass", "baseline_pass_rate": 1.0,
         "candidate_pass_rate": 1.0, "drift": 0.02, "scores": {},
         "baseline_outputs": ["Tokyo is the capital of Japan."],
         "candidate_outputs": ["Tokyo is the capital city of Japan."]},
        {"id": "peru", "status": "flaky", "baseline_pass_rate": 0.33,
         "candidate_pass_rate": 0.67, "drift": 0.12, "scores": {},
         "baseline_outputs": ["Lima, I think."], "candidate_outputs": ["Lima."]},
    ]
    suite = {"id": suite_id, "verdict": verdict,
             "baseline": {"model": "hf:HuggingFaceTB/SmolLM2-135M-Instruct",
                          "prompt_version": "v1", "pass_rate": 0.78},
             "candidate": {"model": "smollm2-int8", "prompt_version": "v1", "pass_rate": 0.56},
             "stats": {"pass_rate_delta": -0.22, "ci95": [-0.51, 0.07], "mcnemar_p": 0.25,
                       "n_cases": 3},
             "cases": cases}
    return {"verdict": verdict,
            "reasons": [f"{suite_id}: 1 critical regression (france) exceeds the limit of 0"],
            "suites": [suite]}

"""Shared test support for the store, dashboard and HTML report: databases and realistic data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from harness.analysis.report import ComparisonReport
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


def make_report(suite_id: str = "capitals", *, verdict: str = "fail", xss: bool = False) -> ComparisonReport:
    """A comparison report model (docs/report-format.md) with realistic values."""
    return ComparisonReport.model_validate(make_report_data(suite_id, verdict=verdict, xss=xss))


def make_report_data(suite_id: str = "capitals", *, verdict: str = "fail",
                     xss: bool = False) -> dict[str, Any]:
    """The JSON of :func:`make_report`, for tests that change a field before validating."""
    bad = XSS_OUTPUT if xss else "The capital of France is Lyon."
    cases = [
        _case("france", "regression", (1.0, 0.0), 0.41, ["The capital of France is Paris."], [bad],
              tags=["critical"], scores={"icontains paris": _check(1.0, 0.0)}),
        _case("japan", "stable_pass", (1.0, 1.0), 0.02, ["Tokyo is the capital of Japan."],
              ["Tokyo is the capital city of Japan."]),
        _case("peru", "flaky", (0.33, 0.67), 0.12, ["Lima, I think."], ["Lima."]),
    ]
    suite = {"id": suite_id, "verdict": verdict, "reasons": [], "variable": "model", "alpha": 0.05,
             "baseline": _side("hf:HuggingFaceTB/SmolLM2-135M-Instruct", 0.78),
             "candidate": _side("smollm2-int8", 0.56),
             "stats": _stats(), "consistency": {"baseline": _consistency(), "candidate": _consistency(),
                                                "flaky_share": 0.333333},
             "drift": {"basis": "similarity", "mean": None, "quantiles": {}, "most_drifted": [],
                       "refusal_increases": [], "refusal_decreases": [], "json_validity_losses": [],
                       "json_validity_gains": []},
             "warnings": [], "confounders": [], "unmatched": {"baseline_only": [], "candidate_only": []},
             "cases": cases}
    return {"verdict": verdict,
            "reasons": [f"{suite_id}: 1 critical regression (france) exceeds the limit of 0"],
            "suites": [suite]}


def _side(model: str, pass_rate: float) -> dict[str, Any]:
    return {"model": model, "prompt_version": "v1", "pass_rate": pass_rate, "samples": 3}


def _stats() -> dict[str, Any]:
    power = {"cases": 3, "samples": 3, "alpha": 0.05, "power": 0.8, "min_detectable_drop": 0.6,
             "min_case_drop": 1.0, "text": "With 3 cases x 3 samples, drops under 60 pp may go unnoticed."}
    return {"pass_rate_delta": -0.22, "ci95": [-0.51, 0.07], "mcnemar_p": 0.25, "cases": 3,
            "discordant": {"baseline_only_pass": 1, "candidate_only_pass": 0},
            "status_counts": {"regression": 1, "improvement": 0, "flaky": 1, "stable_fail": 0, "stable_pass": 1},
            "flaky_share": 0.333333, "power": power}


def _consistency() -> dict[str, Any]:
    return {"mean_agreement": None, "mean_pairwise_similarity": None, "pass_at_k": {}, "pass_hat_k": {},
            "paraphrase_pass_agreement": None, "paraphrase_similarity": None}


def _check(base: float, cand: float) -> dict[str, Any]:
    return {"type": "icontains", "baseline_pass_rate": base, "candidate_pass_rate": cand,
            "baseline_value": None, "candidate_value": None}


def _case(case_id: str, status: str, rates: tuple[float, float], drift: float, base_out: list[str],
          cand_out: list[str], *, tags: list[str] | None = None,
          scores: dict[str, Any] | None = None) -> dict[str, Any]:
    nothing = {"agreement": None, "distinct_answers": 1, "mean_pairwise_similarity": None,
               "pass_at_k": {}, "pass_hat_k": {}}
    detail = dict.fromkeys(("similarity", "rouge_l", "length_delta", "length_ratio", "json_valid_baseline",
                            "json_valid_candidate", "refusal_baseline", "refusal_candidate"))
    return {"id": case_id, "status": status, "baseline_pass_rate": rates[0], "candidate_pass_rate": rates[1],
            "drift": drift, "scores": scores or {}, "baseline_outputs": base_out, "candidate_outputs": cand_out,
            "tags": tags or [], "p_value": None,
            "samples": {"baseline": {"n": 3, "passed": round(rates[0] * 3)},
                        "candidate": {"n": 3, "passed": round(rates[1] * 3)}},
            "errors": {"baseline": [], "candidate": []}, "drift_detail": {**detail, "similarity": 1 - drift},
            "consistency": {"baseline": nothing, "candidate": nothing},
            "paraphrases": {"baseline": [], "candidate": []}}


def make_large_report_data(cases: int, suite_id: str = "big") -> dict[str, Any]:
    """A one-suite comparison report of ``cases`` cases (``case-000000``, ...; one short output per side):
    about 1 case in 50 a regression (ids ending in 7, 57, ...), some improvements, flaky cases and stable
    failures, the rest stable passes. Listed in id order, so regressions are spread through the list."""
    data = make_report_data(suite_id)
    suite = data["suites"][0]
    regression, stable = suite["cases"][0], suite["cases"][1]
    out = []
    for i in range(cases):
        status = large_report_status(i)
        case = {**(regression if status == "regression" else stable), "id": f"case-{i:06d}", "status": status}
        case["baseline_outputs"] = [f"The answer to question {i} is {i + 1}, worked out step by step."]
        answer = i + 1 + (status == "regression")
        case["candidate_outputs"] = [f"The answer to question {i} is {answer}, worked out step by step."]
        out.append(case)
    suite["cases"] = out
    return data


def large_report_status(i: int) -> str:
    """The status of case ``i`` of :func:`make_large_report_data`."""
    if i % 50 == 7:
        return "regression"
    for every, status in ((97, "improvement"), (31, "flaky"), (13, "stable_fail")):
        if i % every == 3:
            return status
    return "stable_pass"


def make_large_run(cases: int, suite_id: str = "big", *, samples: int = 1) -> RunResult:
    """A run of ``cases`` cases (``case-000000``, ...; ``samples`` samples each, two checks, one short output):
    about 1 case in 50 failing (:func:`large_run_outcome`), 1 in 211 with no scorable sample (an
    infrastructure error), the rest passing. In id order, so the failures are spread through the run."""
    out = []
    for i in range(cases):
        outcome = large_run_outcome(i)
        case = make_case(f"case-{i:06d}", [outcome == "pass"] * samples, tags=["critical"] if i % 10 == 0 else (),
                         outputs=[f"The answer to question {i} is {i + 1 + (outcome != 'pass')}."])
        if outcome == "error":
            case = replace(case, samples=tuple(replace(s, error="TimeoutError: backend did not answer", output="")
                                               for s in case.samples))
        out.append(case)
    return RunResult(info=make_info(suite_id, samples=samples), cases=tuple(out))


def large_run_outcome(i: int) -> str:
    """``pass``, ``fail`` or ``error`` (no scorable sample): case ``i`` of :func:`make_large_run`."""
    if i % 211 == 5:
        return "error"
    return "fail" if i % 50 == 7 else "pass"

"""The history store against SQLite and PostgreSQL (set HARNESS_TEST_PG_URL for the latter)."""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import replace

import pytest
import sqlalchemy as sa

from harness.analysis.report import ComparisonReport
from harness.errors import InfrastructureError, UsageError
from harness.store import RunFilter, Store, schema, writes
from harness.store.jsonsafe import clean_json
from harness.store.migrations import LATEST, current_version, migrate
from tests.store_support import make_case, make_info, make_large_report_data, make_report, make_report_data, make_run

WRITERS, RUNS_PER_WRITER, CASES_PER_RUN, SAMPLES = 8, 4, 40, 3


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


def test_migrations_are_numbered_and_idempotent(store_url: str) -> None:
    store = Store(store_url)
    assert current_version(store._engine) == LATEST >= 2
    assert migrate(store._engine) == 0
    Store(store_url).close()
    assert _count(store_url, "schema_version") == LATEST
    store.close()


def test_pending_migrations_apply_in_order(store_url: str) -> None:
    from harness.store import schema
    from harness.store.engine import make_engine
    from harness.store.migrations import MIGRATIONS

    engine = make_engine(store_url)
    with engine.begin() as conn:  # a database left at version 1
        schema.schema_version.create(conn)
        MIGRATIONS[0](conn)
        conn.execute(schema.schema_version.insert().values(version=1, applied_at="then"))
    assert current_version(engine) == 1
    assert not sa.inspect(engine).get_indexes("runs")
    assert migrate(engine) == LATEST - 1
    assert "ix_runs_suite_started" in {ix["name"] for ix in sa.inspect(engine).get_indexes("runs")}
    engine.dispose()


def test_sqlite_parent_folder_created_and_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/deep/er/history.db"
    with Store(url) as store:
        store.save_run(make_run())
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    assert (tmp_path / "deep" / "er" / "history.db").exists()


def test_run_records_everything_needed_to_reproduce_it(store_url: str) -> None:
    with Store(store_url) as store:
        info = make_info()
        run_id = store.start_run(info, kind="candidate")
        run = store.run(run_id)
        assert run is not None and len(run_id) == 32
        assert (run.status, run.kind, run.finished_at, run.pass_rate) == (
            "incomplete", "candidate", None, None)
        assert run.model_fingerprint == info.model_fingerprint
        assert run.params == info.params and run.versions == info.versions
        assert run.host == info.host and run.seed == 1234 and run.samples == 3
        assert (run.suite_hash, run.prompt_hash, run.prompt_version) == (
            info.suite_hash, info.prompt_hash, "v1")
        store.finish_run(run_id, complete=True, pass_rate=0.5)
        done = store.run(run_id)
        assert done is not None and done.status == "complete" and done.pass_rate == 0.5
        assert done.finished_at and done.finished_at > done.started_at


def test_bulk_upserts_store_what_the_row_by_row_path_stores(store_url: str) -> None:
    """From ``writes.BULK_ROWS`` rows on, parameters go straight to the driver: the stored rows (JSON
    columns, NaN scores, a lone surrogate, booleans, a replaced row) read back as the row-by-row path
    stores them."""
    with Store(store_url) as store:
        bulk, single = store.start_run(make_info()), store.start_run(make_info())
        cases = [make_case(f"c{i}", [i % 3 != 0], outputs=[f"answer {i} é"]) for i in range(writes.BULK_ROWS)]
        cases[1] = replace(cases[1], tags=("critical", "x"))
        cases[2] = replace(cases[2], samples=(replace(cases[2].samples[0], scores=(
            replace(cases[2].samples[0].scores[0], value=math.nan),)),))
        cases[3] = replace(cases[3], samples=(replace(cases[3].samples[0], scores=(
            replace(cases[3].samples[0].scores[0], reason="lone \ud800 «é»"),)),))
        store.add_case_results(bulk, cases)
        store.add_case_results(bulk, [replace(c, samples=(replace(c.samples[0], output="redone"),))
                                      for c in cases[:writes.BULK_ROWS]])   # replaced, in bulk too
        for case in cases:
            store.add_case_results(single, [replace(case, samples=(replace(case.samples[0], output="redone"),))])

        def stored(run_id: str) -> list[tuple]:
            return [(r.case_id, r.variant, r.sample, r.output, r.passed, r.scores, r.cached)
                    for r in store.results(run_id)]

        assert stored(bulk) == stored(single) and len(stored(bulk)) == writes.BULK_ROWS
        scores = {row[0]: row[5] for row in stored(bulk)}
        assert scores["c2"][0]["value"] is None and scores["c4"][1]["value"] == 0.8   # NaN stored as JSON null
        assert scores["c3"][0]["reason"] == "lone \ufffd «é»"                          # a lone surrogate replaced
        assert store.case_counts([bulk])[bulk] == store.case_counts([single])[single]


def test_unfinished_and_failed_runs_stay_incomplete(store_url: str) -> None:
    with Store(store_url) as store:
        crashed = store.start_run(make_info())
        store.add_case_results(crashed, [make_case("france", [True])])
        failed = store.start_run(make_info())
        store.finish_run(failed, complete=False, pass_rate=1.0)
        statuses = {r.run_id: r.status for r in store.runs()}
        assert statuses == {crashed: "incomplete", failed: "incomplete"}
        assert store.runs(RunFilter(status="complete")) == []


def test_results_upsert_is_idempotent_per_case_variant_sample(store_url: str) -> None:
    with Store(store_url) as store:
        run_id = store.start_run(make_info())
        case = make_case("france", [True, False, True], paraphrase_passes=[True, True])
        store.add_case_results(run_id, [case])
        store.add_case_results(run_id, [case])
        rows = store.results(run_id)
        assert [(r.variant, r.sample) for r in rows] == [
            ("main", 0), ("main", 1), ("main", 2), ("paraphrase-0", 0), ("paraphrase-0", 1)]
        first = rows[0]
        assert (first.passed, first.new_tokens, first.cached, first.latency_s) == (
            True, 7, False, 0.25)
        assert first.scores[1] == {"check": "rouge-l", "type": "rouge-l", "passed": True,
                                   "value": 0.8, "threshold": 0.3, "reason": "", "weight": 1.0,
                                   "verdict": None, "error": False}
        redo = make_case("france", [False, False, False], outputs=["Lyon"])
        store.add_case_results(run_id, [redo])
        again = store.results(run_id)
        assert len(again) == 5 and again[0].output == "Lyon" and not again[0].passed
        assert store.case_counts([run_id]) == {run_id: (1, 0)}


def test_unknown_run_is_a_usage_error(store_url: str) -> None:
    with Store(store_url) as store:
        with pytest.raises(UsageError, match="no run"):
            store.add_case_results("0" * 32, [make_case("a", [True])])
        with pytest.raises(UsageError, match="no run"):
            store.finish_run("0" * 32, complete=True, pass_rate=1.0)


def test_comparison_is_queryable_and_keeps_the_full_report(store_url: str) -> None:
    with Store(store_url) as store:
        base, cand = store.save_run(make_run()), store.save_run(make_run(model="smollm2-int8"))
        data = make_report_data()
        data["suites"][0]["stats"]["mcnemar_p"] = math.nan
        cid = store.save_comparison(ComparisonReport.model_validate(data), baseline_run_ids={"capitals": base},
                                    candidate_run_ids={"capitals": cand})
        row = store.comparison(cid)
        assert row is not None and row.verdict == "fail" and row.suite_ids == ("capitals",)
        assert "critical regression" in row.reasons[0]
        [suite] = store.comparison_suites("capitals")
        assert (suite.baseline_run_id, suite.candidate_run_id) == (base, cand)
        assert suite.pass_rate_delta == pytest.approx(-0.22)
        assert suite.mean_drift == pytest.approx((0.41 + 0.02 + 0.12) / 3)  # from the cases
        statuses = {s.case_id: s.status for s in
                    (store.case_statuses("capitals", c) for c in ("france", "peru")) for s in s}
        assert statuses == {"france": "regression", "peru": "flaky"}
        saved = store.comparison_report(cid)
        assert saved is not None and saved.suites[0].stats.mcnemar_p is None  # NaN is stored as null
        assert saved.suites[0].cases[0].candidate_outputs == ["The capital of France is Lyon."]
        assert saved.model_dump(exclude={"suites"}) == make_report().model_dump(exclude={"suites"})
        assert store.latest_comparison_id() == cid
        data["suites"][0]["drift"]["mean"] = 0.3
        store.save_comparison(ComparisonReport.model_validate(data), baseline_run_ids={}, candidate_run_ids={})
        assert store.comparison_suites("capitals")[-1].mean_drift == 0.3  # the suite's summary


@pytest.mark.parametrize("cases", [3, writes.BULK_ROWS + 20])
def test_stored_comparison_reads_back_as_the_reports_json(store_url: str, cases: int) -> None:
    """Each case's JSON is written from its model (in bulk from ``writes.BULK_ROWS`` cases on): the report
    reads back as its cleaned JSON (NaN as null, a lone surrogate replaced, non-ASCII and quotes kept)."""
    data = make_large_report_data(cases)
    odd = data["suites"][0]["cases"]
    odd[0]["drift"], odd[1]["candidate_outputs"] = math.nan, ["lone \ud800 «quoted» \"x\" \\ </script>"]
    report = ComparisonReport.model_validate(data)
    with Store(store_url) as store:
        cid = store.save_comparison(report, baseline_run_ids={}, candidate_run_ids={})
        saved = store.comparison_report(cid)
        page = store.comparison_case_page(cid, 1, 10)
    assert saved is not None and page is not None
    assert saved.model_dump(mode="json") == clean_json(report.model_dump(mode="json"))
    assert saved.suites[0].cases[0].drift is None and "\ud800" not in saved.suites[0].cases[1].candidate_outputs[0]
    assert page.cases.total == cases


def test_stored_report_that_does_not_fit_the_model_is_a_clear_error(store_url: str) -> None:
    with Store(store_url) as store:
        cid = store.save_comparison(make_report(), baseline_run_ids={}, candidate_run_ids={})
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(schema.comparisons.update().values(report={"suites": []}))
    engine.dispose()
    with Store(store_url) as store, pytest.raises(UsageError, match=f"comparison {cid} .*verdict"):
        store.comparison_report(cid)


def test_case_history_and_run_filters(store_url: str) -> None:
    with Store(store_url) as store:
        for day, pattern, model in ((1, "ppp", "a"), (2, "fff", "a"), (3, "pfp", "b")):
            store.save_run(make_run(day=day, pattern=pattern, model=model))
        store.save_run(make_run("math", day=4))
        history = store.case_history("capitals", "france")
        assert [h.pass_rate for h in history] == pytest.approx([1.0, 0.0, 2 / 3])
        assert [h.consistent for h in history] == [True, True, False]
        assert history[0].tags == ["critical"] and history[2].model_spec == "b"
        assert [r.model_spec for r in store.runs(RunFilter(model="a"))] == ["a", "a"]
        assert len(store.runs(RunFilter(since="2026-11-02", until="2026-11-03"))) == 2
        assert {r.suite_id for r in store.runs(RunFilter(tag="geo"))} == {"capitals", "math"}
        assert store.runs(RunFilter(tag="nonexistent")) == []
        values = store.filter_values()
        assert values["suites"] == ["capitals", "math"]
        assert values["tags"] == ["critical", "geo"]


def test_run_report_shape(store_url: str) -> None:
    with Store(store_url) as store:
        run_id = store.save_run(make_run(pattern="pfp"))
        report = store.run_report(run_id)
        [suite] = report.suites
        assert suite.id == "capitals" and suite.status == "complete"
        france = next(c for c in suite.cases if c.id == "france")
        assert france.passed is True and france.pass_rate == pytest.approx(2 / 3)
        peru = next(c for c in suite.cases if c.id == "peru")
        assert peru.passed is False and peru.n_passed == 1 and peru.tags == ["geo"]
        assert france.outputs == ["The capital of France is Paris."] * 3
        assert france.scores["rouge-l"].mean == pytest.approx((0.8 + 0.1 + 0.8) / 3)
        assert france.scores["rouge-l"].type == "rouge-l"


def test_resolve_by_id_and_prefix(store_url: str) -> None:
    with Store(store_url) as store:
        run_id = store.save_run(make_run())
        cid = store.save_comparison(make_report(), baseline_run_ids={}, candidate_run_ids={})
        assert store.resolve(run_id) == ("run", run_id)
        assert store.resolve(cid[:12]) == ("comparison", cid)
        with pytest.raises(UsageError, match="no run or comparison"):
            store.resolve("zzzz")
        with pytest.raises(UsageError, match="no run or comparison"):
            store.resolve("%")


def test_unreachable_database_is_an_infrastructure_error() -> None:
    with pytest.raises(InfrastructureError, match="history database"):
        Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def _writer(url: str, worker: int, barrier: mp.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    barrier.wait()
    store = Store(url)  # first-time migration races with the other writers
    for r in range(RUNS_PER_WRITER):
        run_id = store.start_run(make_info(f"suite-{worker}", started_at=f"2026-11-{r + 1:02d}"))
        cases = [make_case(f"w{worker}-r{r}-c{c}", [True, False, True][:SAMPLES])
                 for c in range(CASES_PER_RUN)]
        half = CASES_PER_RUN // 2
        store.add_case_results(run_id, cases[:half])
        store.add_case_results(run_id, cases[half:])
        store.finish_run(run_id, complete=True, pass_rate=2 / 3)
    store.close()


def test_eight_concurrent_writers_lose_nothing(store_url: str) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(store_url, w, barrier)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    runs = WRITERS * RUNS_PER_WRITER
    assert _count(store_url, "runs") == runs
    assert _count(store_url, "run_cases") == runs * CASES_PER_RUN
    assert _count(store_url, "results") == runs * CASES_PER_RUN * SAMPLES
    assert _count(store_url, "schema_version") == LATEST
    with Store(store_url) as store:
        assert {r.status for r in store.runs()} == {"complete"}
    if store_url.startswith("sqlite"):
        engine = sa.create_engine(store_url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()


def test_store_accepts_run_with_replaced_info(store_url: str) -> None:
    """A RunInfo with finished_at set (a rerun record) is stored as given."""
    with Store(store_url) as store:
        info = replace(make_info(), finished_at="2026-11-20T10:05:00+00:00")
        run = store.run(store.start_run(info))
        assert run is not None and run.finished_at == "2026-11-20T10:05:00+00:00"

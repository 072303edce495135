"""`harness run` records the run in the history database (SQLite by default), with everything
needed to reproduce it and every (case, sample) result. Skipped until ``harness.store`` exists."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from harness_project import Project

from harness.generation.backends import ModelSpec, backend
from harness.project.config import load_project_config
from harness.project.suites import load_suite
from harness.store import Store
from harness.types import Generation, GenerationRequest


@backend("test-crash-after-one")
class CrashAfterOne:
    """Answers one request per call, then fails like a dead server."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "test-crash-after-one"}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        yield 0, Generation(output="Paris")
        raise ConnectionError("server went away")

    def close(self) -> None:
        pass


def stored_runs(project: Project) -> list[Any]:
    store = Store(load_project_config().database)
    try:
        return [(run, store.results(run.run_id)) for run in store.runs()]
    finally:
        store.close()


def test_run_stored_with_all_fields(capitals: Project) -> None:
    temp = capitals.root / "suites" / "capitals.yaml"
    temp.write_text(temp.read_text().replace("{max_new_tokens: 16}", "{max_new_tokens: 16, temperature: 0.7}"))
    result = capitals.cli("run", "suites/capitals.yaml", "-m", "fake:seeded", "-k", "2", "--seed", "3",
                          "--json", "out.json")
    assert result.code == 0, result.text
    assert (capitals.root / ".harness" / "history.db").is_file()
    with sqlite3.connect(capitals.root / ".harness" / "history.db") as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)

    [(run, results)] = stored_runs(capitals)
    suite = load_suite(capitals.root / "suites/capitals.yaml")
    report = capitals.read_json("out.json")["suites"][0]
    assert (run.suite_id, run.suite_hash) == ("capitals", suite.content_hash)
    assert (run.prompt_hash, run.prompt_version) == (suite.prompt.content_hash, "v1")
    assert (run.model_spec, run.model_fingerprint) == ("fake:seeded", {"backend": "fake", "mode": "seeded"})
    assert run.params["max_new_tokens"] == 16 and run.params["temperature"] == 0.7
    assert (run.seed, run.samples, run.status) == (3, 2, "complete")
    assert "harness" in run.versions and "pydantic" in run.versions
    assert run.host["hostname"] and run.host["python"]
    assert run.started_at and run.finished_at and run.started_at <= run.finished_at
    assert run.pass_rate == pytest.approx(report["pass_rate"])
    by_key = {(r.case_id, r.sample): r for r in results if r.variant == "main"}
    assert sorted(by_key) == sorted((c, s) for c in ("france", "spain", "peru") for s in (0, 1))
    for case in report["cases"]:
        assert [by_key[(case["id"], s)].output for s in (0, 1)] == case["outputs"]
        assert all(by_key[(case["id"], s)].scores for s in (0, 1))


def test_crashed_run_stored_as_incomplete_with_finished_work(capitals: Project) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "-m", "test-crash-after-one:x")
    assert result.code == 3 and "ConnectionError: server went away" in result.text
    [(run, results)] = stored_runs(capitals)
    assert run.status == "incomplete"
    by_case = {r.case_id: r for r in results}
    assert by_case["france"].output == "Paris" and by_case["france"].error is None
    assert by_case["peru"].error and not by_case["peru"].passed


def test_no_store_writes_nothing(capitals: Project) -> None:
    assert capitals.cli("run", "suites/capitals.yaml", "-m", "replay:replay.jsonl", "--no-store").code == 0
    assert not (capitals.root / ".harness" / "history.db").exists()


@backend("test-interrupt-after-two")
class InterruptAfterTwo:
    """Answers two requests, then the user presses Ctrl+C (a BaseException: nothing catches it)."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "test-interrupt-after-two"}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        yield 0, Generation(output="Paris")
        yield 1, Generation(output="It is Madrid.")
        raise KeyboardInterrupt

    def close(self) -> None:
        pass


def test_finished_cases_are_stored_while_the_run_goes_on(capitals: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.scoring import stream

    monkeypatch.setattr(stream, "CHUNK_CASES", 1)  # save every finished case at once
    assert capitals.cli("run", "suites/capitals.yaml", "-m", "test-interrupt-after-two:x").code == 130
    [(run, results)] = stored_runs(capitals)
    assert run.status == "incomplete"  # interrupted: never shown as passed, but its finished cases are kept
    assert {r.case_id: r.output for r in results} == {"france": "Paris", "spain": "It is Madrid."}
    assert all(r.passed for r in results)
    # the rerun (another model) stores a complete run; the interrupted one stays as it was
    assert capitals.cli("run", "suites/capitals.yaml", "-m", "replay:replay.jsonl").code == 0
    runs = stored_runs(capitals)
    assert sorted(run.status for run, _ in runs) == ["complete", "incomplete"]
    assert [len(r) for run, r in runs if run.status == "complete"] == [3]

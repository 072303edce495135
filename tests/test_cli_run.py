"""`harness run` end to end: table, JSON report, exit codes 0/2/3, and a light `--help`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from harness_project import Project, subprocess_env

from harness.generation.backends import ModelSpec, backend
from harness.generation.cache import GenerationCache
from harness.types import Generation, GenerationRequest


@backend("test-broken")
class BrokenBackend:
    """Answers the first ``fail_after`` requests of a call, then raises (a crashed server or GPU)."""

    fail_after: ClassVar[int | None] = 2
    per_request_error: ClassVar[str | None] = None  # case id answered with an error instead
    served: ClassVar[list[str]] = []

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "test-broken"}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        for index, request in enumerate(requests):
            if self.fail_after is not None and index == self.fail_after:
                raise RuntimeError("GPU fell off the bus")
            if request.case_id == self.per_request_error:
                yield index, Generation(output="", error="HTTP 503 from server")
                continue
            BrokenBackend.served.append(request.case_id)
            yield index, Generation(output=f"It is {request.case_id.title()}")

    def close(self) -> None:
        pass


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> type[BrokenBackend]:
    monkeypatch.setattr(BrokenBackend, "served", [])
    return BrokenBackend


def run_json(project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = project.cli("run", *args, "--no-store", "--json", "out.json")
    return result.code, project.read_json("out.json") if (project.root / "out.json").exists() else {}


def test_replay_run_prints_table_and_writes_json(capitals: Project) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store",
                          "--json", "reports/run.json")
    assert result.code == 0, result.text
    assert "capitals ·" in result.text and "prompt v1" in result.text  # the title wraps the long model path
    for row in ("icontains", "max-length", "case pass rate", "66.7%"):
        assert row in result.out
    assert "failing cases (1 of 3)" in result.text and "peru" in result.out and "Cusco" in result.out
    report = capitals.read_json("reports/run.json")
    (suite,) = report["suites"]
    assert suite["id"] == "capitals"
    assert suite["model"] == f"replay:{capitals.root.resolve() / 'replay.jsonl'}"
    assert suite["pass_rate"] == pytest.approx(2 / 3)
    assert suite["prompt_version"] == "v1" and suite["samples"] == 1
    cases = {c["id"]: c for c in suite["cases"]}
    assert list(cases) == ["france", "spain", "peru"]
    assert cases["france"]["outputs"] == ["Paris"] and cases["france"]["passed"] is True
    assert cases["france"]["pass_rate"] == 1.0 and cases["france"]["tags"] == ["critical"]
    assert cases["peru"]["passed"] is False and cases["peru"]["pass_rate"] == 0.0
    peru_checks = cases["peru"]["scores"]
    assert set(peru_checks) == {"max-length", "icontains"}
    assert peru_checks["icontains"]["pass_rate"] == 0.0 and "lima" in peru_checks["icontains"]["reason"]
    assert peru_checks["max-length"] == {"type": "max-length", "pass_rate": 1.0, "mean": 5.0, "threshold": 200.0,
                                         "reason": "5 chars <= 200", "verdicts": []}


def test_several_samples_in_json(capitals: Project) -> None:
    code, report = run_json(capitals, "suites/capitals.yaml", "--model", "fake:echo", "--samples", "3")
    assert code == 0
    suite = report["suites"][0]
    assert suite["samples"] == 3
    assert all(len(c["outputs"]) == 3 and c["n_samples"] == 3 for c in suite["cases"])
    assert set(suite["pass_at_k"]) == {"1", "2", "3"}  # the k's of consistency.sample_ks, as in compare


def test_folder_of_suites(capitals: Project) -> None:
    capitals.suite("second", "id: second\ntemplate: 'say {{ w }}'\ncases: [{id: a, vars: {w: hi}}]\n")
    code, report = run_json(capitals, "suites", "--model", "fake:echo")
    assert code == 0 and [s["id"] for s in report["suites"]] == ["capitals", "second"]


def test_markup_in_output_printed_verbatim(project: Project) -> None:
    project.suite("m", "id: m\ntemplate: '{{ q }}'\ncases: [{id: a, vars: {q: '[red]x[/red] [bold]'}, "
                       "checks: [{type: equals, value: nope}]}]\n")
    result = project.cli("run", "suites/m.yaml", "--no-store")
    assert result.code == 0 and "[red]x[/red] [bold]" in result.out


# ---- exit codes -------------------------------------------------------------------------------


def test_missing_suite_path_exit_2(project: Project) -> None:
    result = project.cli("run", "suites/nope.yaml", "--no-store")
    assert result.code == 2 and "suite not found: suites/nope.yaml" in result.text


def test_bad_option_exit_2(capitals: Project) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "--samples", "0", "--no-store")
    assert result.code == 2 and "--samples" in result.text


def test_backend_crash_mid_run_exit_3_and_work_kept(capitals: Project, broken: type[BrokenBackend],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "test-broken:x", "--no-store",
                          "--json", "out.json")
    assert result.code == 3
    assert "infrastructure error: test-broken:x failed on suite 'capitals': RuntimeError: GPU fell off the bus " \
           "(2 of 3 generations kept)" in result.text
    assert broken.served == ["france", "spain"]
    assert GenerationCache(capitals.root / ".harness" / "cache").stats().entries == 2
    monkeypatch.setattr(BrokenBackend, "fail_after", None)
    code, report = run_json(capitals, "suites/capitals.yaml", "--model", "test-broken:x")
    assert code == 0
    assert broken.served == ["france", "spain", "peru"]  # the rerun generated only what was missing
    assert [c["outputs"] for c in report["suites"][0]["cases"]] == [["It is France"], ["It is Spain"], ["It is Peru"]]


def test_failed_generation_exit_3_report_written(capitals: Project, broken: type[BrokenBackend],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenBackend, "fail_after", None)
    monkeypatch.setattr(BrokenBackend, "per_request_error", "spain")
    code, report = run_json(capitals, "suites/capitals.yaml", "--model", "test-broken:x")
    assert code == 3
    suite = report["suites"][0]
    assert suite["complete"] is False
    spain = next(c for c in suite["cases"] if c["id"] == "spain")
    assert spain["errors"] == ["HTTP 503 from server"] and spain["passed"] is False
    monkeypatch.setattr(BrokenBackend, "per_request_error", None)
    code, _ = run_json(capitals, "suites/capitals.yaml", "--model", "test-broken:x")
    assert code == 0 and broken.served == ["france", "peru", "spain"]


def test_subprocess_run(capitals: Project) -> None:
    result = capitals.subprocess("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store",
                                 "--json", "out.json")
    assert result.code == 0, result.text
    assert "case pass rate" in result.out
    assert capitals.read_json("out.json")["suites"][0]["pass_rate"] == pytest.approx(2 / 3)


def test_subprocess_config_error_exit_2(project: Project) -> None:
    project.suite("bad", "id: x\ncases:\n  - id: a\n    vars: {q: [1, 2}\n")
    result = project.subprocess("run", "suites/bad.yaml", "--no-store")
    assert result.code == 2
    assert "error: suites/bad.yaml:4:20: invalid YAML" in result.text
    assert "Traceback" not in result.text


# ---- --help stays light -------------------------------------------------------------------------

HEAVY = {"torch", "transformers", "sentence_transformers", "datasets", "pandas", "sklearn"}


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_help_imports_no_heavy_library(project: Project, args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness", *args], cwd=project.root,
                          capture_output=True, text=True, env=subprocess_env(), timeout=60)
    assert proc.returncode == 0 and "Usage: harness" in proc.stdout
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
               if line.startswith("import time:")}
    assert "harness.cli" in modules
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_help_wall_time(project: Project) -> None:
    """Recorded, not tightly bounded: the machine running the tests may be busy."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "harness", "--help"], cwd=project.root, capture_output=True,
                              env=subprocess_env(), timeout=60)
        times.append(time.perf_counter() - start)
        assert proc.returncode == 0
    print(f"harness --help wall time: median {statistics.median(times):.2f}s of {[round(t, 2) for t in times]}")
    assert statistics.median(times) < 10


def test_config_error_in_any_suite_stops_before_generating(capitals: Project) -> None:
    from harness.generation.backends.fake import FakeBackend

    capitals.suite("z_bad", "id: z\ntemplate: '{{ q }}'\ncases: [{id: a, vars: {q: x}, checks: [{type: icontain}]}]\n")
    before = FakeBackend.generated
    result = capitals.cli("run", "suites", "--model", "fake:echo", "--no-store")
    assert result.code == 2 and "did you mean 'icontains'" in result.text
    assert FakeBackend.generated == before


def test_unwritable_report_path_exit_2(capitals: Project) -> None:
    """Before: IsADirectoryError traceback and exit 3 after the whole run."""
    (capitals.root / "reports").mkdir()
    result = capitals.cli("run", "suites/capitals.yaml", "-m", "replay:replay.jsonl", "--no-store", "--json", "reports")
    assert result.code == 2 and "cannot write report reports: is a directory" in result.text
    assert list((capitals.root / "reports").iterdir()) == []  # no temp file left behind

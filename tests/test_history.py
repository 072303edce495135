"""`harness check` records its runs and comparison; `harness history`, `harness report ID` and the
dashboard find them (by full id or prefix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from harness.cli import app
from harness.dashboard.app import create_app
from tests.gitproject import PROMPT_B, make_project, write_yaml


@pytest.fixture()
def checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose prompt b changed, after one `harness check` (stored in .harness/history.db)."""
    repo = make_project(tmp_path / "proj")
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer: {{ question }}"})
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["check", "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "stored comparison: " in result.output
    return repo


def _history(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["history", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_check_results_appear_in_history(checked: Path) -> None:
    entries = _history()
    comparisons = [e for e in entries if e["kind"] == "comparison"]
    runs = [e for e in entries if e["kind"] == "run"]
    assert len(comparisons) == 1 and comparisons[0]["suites"] == ["s3"]
    assert comparisons[0]["verdict"] == "pass"
    assert comparisons[0]["models"] == ["fake:echo"]
    assert len(runs) == 2 and {tuple(r["suites"]) for r in runs} == {("s3",)}
    assert all(r["status"] == "complete" for r in runs)
    times = [e["time"] for e in entries]
    assert times == sorted(times, reverse=True)


def test_history_filters(checked: Path) -> None:
    assert _history("--verdict", "fail") == []
    assert [e["kind"] for e in _history("--verdict", "pass")] == ["comparison"]
    assert _history("--suite", "s1") == []
    assert len(_history("--suite", "s3")) == 3
    assert _history("--model", "fake:other") == []
    assert len(_history("--limit", "1")) == 1
    lines = CliRunner().invoke(app, ["history"]).output.splitlines()
    assert len(lines) == 3
    assert sum("comparison" in line and "PASS" in line for line in lines) == 1


def test_no_store_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_project(tmp_path / "proj")
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer: {{ question }}"})
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["check", "--base", "HEAD", "--no-store"])
    assert result.exit_code == 0, result.output
    assert "stored" not in result.output
    assert _history() == []


def test_report_by_prefix_in_every_format(checked: Path, tmp_path: Path) -> None:
    comparison_id = _history("--verdict", "pass")[0]["id"]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", comparison_id[:8], "--html", str(out / "r.html"),
                                      "--markdown", str(out / "r.md"), "--json", str(out / "r.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "r.json").read_text())["check"]["suites"][0]["id"] == "s3"
    assert "harness check" in (out / "r.md").read_text()
    assert "<html" in (out / "r.html").read_text().lower()
    run_id = next(e["id"] for e in _history() if e["kind"] == "run")
    result = CliRunner().invoke(app, ["report", run_id[:10], "--markdown", str(out / "run.md")])
    assert result.exit_code == 0, result.output
    assert "s3" in (out / "run.md").read_text()
    assert CliRunner().invoke(app, ["report", run_id]).exit_code != 0  # no format asked


def test_dashboard_shows_the_check_by_prefix(checked: Path) -> None:
    entries = _history()
    comparison_id = next(e["id"] for e in entries if e["kind"] == "comparison")
    run_id = next(e["id"] for e in entries if e["kind"] == "run")
    url = f"sqlite:///{checked / '.harness' / 'history.db'}"
    with TestClient(create_app(url), base_url="http://127.0.0.1:8765") as client:
        listing = client.get("/comparisons")
        assert listing.status_code == 200 and comparison_id[:8] in listing.text
        for ref in (comparison_id, comparison_id[:8]):
            page = client.get(f"/comparison/{ref}")
            assert page.status_code == 200 and "s3" in page.text
        assert client.get(f"/run/{run_id[:8]}").status_code == 200
        assert client.get("/comparison/zzzz").status_code == 404

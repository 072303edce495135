"""Ids, names and messages are inert in Markdown reports; NUL bytes and file modes (issue 16, items 13-14)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from harness.analysis.report import (
    BaseRef,
    CheckSection,
    ComparisonReport,
    RunCase,
    RunReport,
    RunSuite,
    SuitePlanReport,
)
from harness.errors import ConfigError
from harness.project.config import load_project_config
from harness.reporters.check import check_markdown
from harness.reporters.files import write_text
from harness.reporters.markdown import cell, comparison_markdown, run_markdown
from tests.store_support import make_report_data

EVIL = ["![t](http://evil.example/t.png)", "@octocat", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
        "**bold** _it_ ~~s~~ `code` # h | pipe", "www.evil.example", "a\0b"]


def _assert_inert(text: str) -> None:
    assert "![" not in text and "](" not in text and "<img" not in text
    assert not re.search(r"@octocat", text)               # the word joiner breaks the mention
    assert "http://" not in text and "www.evil" not in text  # and autolinks
    assert "**bold**" not in text and "`code`" not in text and "\0" not in text


@pytest.mark.parametrize("value", EVIL)
def test_cell_is_inert(value: str) -> None:
    _assert_inert(cell(value))


def _comparison(evil: str) -> ComparisonReport:
    data = make_report_data()
    data["reasons"].append(f"case {evil} regressed")
    suite = data["suites"][0]
    suite["id"] = evil
    suite["baseline"]["model"] = suite["candidate"]["model"] = evil
    suite["baseline"]["prompt_version"] = evil
    suite["warnings"].append(evil)
    case = suite["cases"][0]
    case["id"], case["tags"] = evil, [evil]
    case["scores"] = {evil: case["scores"]["icontains paris"]}
    return ComparisonReport.model_validate(data)


def _check_section(evil: str) -> CheckSection:
    return CheckSection(base=BaseRef(ref=evil, commit="abc", how=evil), model=evil, summary=evil,
                        nothing_to_run=False, unused_prompts=[evil], changed_files=[],
                        suites=[SuitePlanReport(id=evil, status="changed", path=evil, base_path=None,
                                                reasons=[evil], note=None, run=[], unchanged=[], removed=[])])


def test_every_markdown_renderer_escapes_ids_and_names() -> None:
    evil = " ".join(EVIL)
    comparison = _comparison(evil)
    run = RunReport(suites=[RunSuite(id=evil, model=evil, prompt_version=evil, pass_rate=0.0, samples=1, complete=True,
                                     cases=[RunCase(id=evil, pass_rate=0.0, passed=False, n_samples=1,
                                                    n_passed=0, outputs=["no"], tags=[evil])])])
    check = comparison.model_copy(update={"check": _check_section(evil), "new_cases": run.suites})
    for text in (comparison_markdown(comparison), run_markdown(run), check_markdown(check)):
        _assert_inert(text)
        assert "&#91;" in text and "@\u2060octocat" in text   # still readable once rendered


def test_reports_have_no_nul_and_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_text(tmp_path / "report.html", "<p>a\0b</p>")
        write_text(tmp_path / "report.md", "a\0b")
    finally:
        os.umask(old)
    for name in ("report.html", "report.md"):
        data = (tmp_path / name).read_bytes()
        assert b"\0" not in data and "\ufffd".encode() in data
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640


def test_cache_dir_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("cache_dir: ../../../../etc/harness-cache\n")
    with pytest.raises(ConfigError, match=r"harness.yaml:1: .*cache_dir.*leads outside the project"):
        load_project_config(tmp_path)
    outside = tmp_path.parent / "elsewhere-cache"
    (tmp_path / "harness.yaml").write_text(f"cache_dir: {outside}\n")
    assert load_project_config(tmp_path).cache_dir == outside
    (tmp_path / "harness.yaml").write_text("cache_dir: .cache/gen\n")
    assert load_project_config(tmp_path).cache_dir == tmp_path / ".cache" / "gen"

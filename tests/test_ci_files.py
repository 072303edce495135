"""The shipped pre-commit hook and GitHub Actions example are well-formed and say what docs/ci.md says."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "harness-validate" and hook["entry"] == "harness validate"
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    files = re.compile(hook["files"])
    for path in ("suites/a.yaml", "prompts/p.yml", "harness.yaml", "evals/suites/x.yaml", "data/rows.jsonl"):
        assert files.search(path), path
    for path in ("README.md", "src/app.py", "suites.py"):
        assert not files.search(path), path


def test_github_workflow() -> None:
    text = (ROOT / "examples/github-actions/harness-check.yml").read_text()
    flow = yaml.safe_load(text)
    steps = flow["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".harness"
    run = next(s for s in steps if s.get("id") == "check")["run"]
    for flag in ("--base", "--markdown", "--html", "--junit", "--json"):
        assert flag in run
    assert "${{" not in run  # untrusted values reach the shell through env, never inline
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "harness-report.html" in upload["with"]["path"]
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script"))
    assert "updateComment" in comment["with"]["script"] and "<!-- harness-check -->" in comment["with"]["script"]
    assert flow["permissions"]["pull-requests"] == "write"
    assert "pull_request_target" not in flow[True]  # `on:` parses as True in YAML 1.1

"""A throw-away git project with two prompts and three suites, for check/changes tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

PROMPT_A = {"id": "short", "version": "1", "template": "Answer briefly: {{ question }}"}
PROMPT_B = {"id": "polite", "version": "1", "system": "Be polite.", "template": "Please: {{ question }}"}


def suite_doc(suite_id: str, prompt: str, n: int = 2) -> dict:
    """A suite whose cases echo-pass with the fake backend (checks look for the question)."""
    return {"id": suite_id, "prompt": prompt,
            "cases": [{"id": f"c{i}", "vars": {"question": f"{suite_id} question {i}"},
                       "reference": f"{suite_id} question {i}",
                       "checks": [{"type": "icontains", "value": f"question {i}"}]}
                      for i in range(n)]}


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return out.stdout


def write_yaml(root: Path, rel: str, data: dict) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def make_project(root: Path, config: str = "default_model: fake:echo\n") -> Path:
    """prompts/a.yaml (used by s1, s2), prompts/b.yaml (used by s3); committed on main."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    git(root, "config", "commit.gpgsign", "false")
    (root / "harness.yaml").write_text(config)
    (root / ".gitignore").write_text(".harness/\n")
    write_yaml(root, "prompts/a.yaml", PROMPT_A)
    write_yaml(root, "prompts/b.yaml", PROMPT_B)
    write_yaml(root, "suites/s1.yaml", suite_doc("s1", "prompts/a.yaml"))
    write_yaml(root, "suites/s2.yaml", suite_doc("s2", "prompts/a.yaml", 3))
    write_yaml(root, "suites/s3.yaml", suite_doc("s3", "prompts/b.yaml"))
    commit(root, "base")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def golden_scenario(repo: Path) -> None:
    """A regression in s1, a passing prompt change in s3, a failing new case, an unchanged case."""
    doc = suite_doc("s1", "prompts/a.yaml")
    doc["cases"][1]["vars"] = {"question": "something else"}
    doc["cases"].append({"id": "fresh", "vars": {"question": "q"},
                         "checks": [{"type": "equals", "value": "never"}]})
    write_yaml(repo, "suites/s1.yaml", doc)
    write_yaml(repo, "prompts/b.yaml", {**PROMPT_B, "template": "Please answer: {{ question }}"})

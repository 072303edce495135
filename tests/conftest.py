"""Shared fixtures: ``project`` (a temp project as the working directory), ``capitals``,
and ``store_url`` (a fresh SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness_project import Project

from tests.store_support import store_url  # noqa: F401


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Project:
    """A project with ``harness.yaml`` (default model fake:echo) as the working directory."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "harness.yaml").write_text("default_model: fake:echo\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return Project(root, capsys)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Offline, wide terminal, no fake-backend knobs; undo whatever the code under test sets."""
    saved = dict(os.environ)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("COLUMNS", "300")
    for name in ("HARNESS_FAKE_DELAY", "HARNESS_FAKE_COUNTER"):
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.clear()
    os.environ.update(saved)


CAPITALS_SUITE = """
id: capitals
description: Short factual answers.
prompt: prompts/short_answer.yaml
defaults:
  params: {max_new_tokens: 16}
  checks:
    - {type: max-length, value: 200}
cases:
  - id: france
    vars: {question: "What is the capital of France?"}
    reference: Paris
    tags: [critical]
    checks:
      - {type: icontains, value: paris}
  - id: spain
    vars: {question: "What is the capital of Spain?"}
    reference: Madrid
    checks:
      - {type: icontains, value: madrid}
  - id: peru
    vars: {question: "What is the capital of Peru?"}
    reference: Lima
    checks:
      - {type: icontains, value: lima}
"""

SHORT_ANSWER_PROMPT = """
id: short_answer
version: v1
system: Answer in one word.
template: "Q: {{ question }}"
"""


@pytest.fixture
def capitals(project: Project) -> Project:
    """``project`` plus the capitals suite, its prompt and a replay file (peru answered wrong)."""
    project.prompt("short_answer", SHORT_ANSWER_PROMPT)
    project.suite("capitals", CAPITALS_SUITE)
    project.replay({"france": "Paris", "spain": "It is Madrid.", "peru": "Cusco"})
    return project


@pytest.fixture(scope="session")
def bundled_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled SmolLM2-135M-Instruct, converted once per session to a safetensors checkpoint."""
    from harness.generation.backends.bundled import prepare_bundled_model

    return prepare_bundled_model(tmp_path_factory.mktemp("bundled-harness"))

"""Progress: phases named, the side on each line, and a bar that moves during a batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.gate import DEFAULT_POLICY
from harness.generation.backends import ModelSpec
from harness.generation.generate import GenerateOptions, generate
from harness.generation.progress import RunProgress, run_progress
from harness.pipeline import RunOptions, compare_suites
from harness.project.config import load_project_config
from harness.project.suites import load_suite
from tests.backends.test_hf import QUESTIONS, backend_for, request
from tests.support.tiny_models import tiny_llama_dir  # noqa: F401 - fixture


class Recorder(RunProgress):
    """A RunProgress that also records every event, in order."""

    def __init__(self, label: str) -> None:
        super().__init__(label, enabled=False)
        self.events: list[tuple[str, object]] = []

    def phase(self, text: str) -> None:
        self.events.append(("phase", text))

    def tokens(self, steps: int) -> None:
        super().tokens(steps)
        self.events.append(("tokens", steps))

    def row_done(self, budget: int, new_tokens: int | None) -> None:
        super().row_done(budget, new_tokens)
        self.events.append(("row", new_tokens))


def test_bar_moves_token_by_token_within_a_batch(tiny_llama_dir: Path, tmp_path: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.generation import progress as module

    recorder = Recorder("suite · tiny")
    monkeypatch.setattr(module, "RunProgress", lambda label, enabled: recorder)
    backend = backend_for(tiny_llama_dir, tmp_path, batch_size=8)
    requests = [request(q, i, max_new_tokens=6) for i, q in enumerate(QUESTIONS)]
    with run_progress("suite · tiny"):
        generate(requests, backend.spec, None, GenerateOptions(), backend=backend)
    kinds = [kind for kind, _ in recorder.events]
    assert ("phase", "loading the model on cpu") in recorder.events
    first_row = kinds.index("row")
    assert kinds[:first_row].count("tokens") >= 5  # one step per token, before the batch returns
    assert kinds.count("row") == len(requests)


def test_piped_progress_names_phases_and_sides(capitals_project: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    suite = load_suite(capitals_project / "suites/capitals.yaml")
    compare_suites([(suite, suite)], ModelSpec("fake", "echo"), ModelSpec("fake", "seeded"),
                   load_project_config(), RunOptions(progress=True),
                   policy=DEFAULT_POLICY)
    err = capsys.readouterr().err
    assert "capitals · fake:echo · baseline: generating 3 request(s)" in err
    assert "capitals · fake:seeded · candidate: generating 3 request(s)" in err
    assert "capitals · fake:echo · baseline: scoring" in err
    assert "capitals · baseline vs candidate: comparing" in err


@pytest.fixture()
def capitals_project(capitals, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(capitals.root)
    return capitals.root

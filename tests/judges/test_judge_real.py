"""Real judges: token probabilities from the hf backend, the bundled model judging a suite through
``hf`` (slow), and a judge behind ``transformers serve`` through ``openai`` (slow). A cached rerun
makes zero judge calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.generation.backends.base import ModelSpec
from harness.pipeline import RunOptions, run_suite
from harness.project.config import load_project_config
from harness.project.suites import load_suite
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt
from tests.support.tiny_models import tiny_llama_dir  # noqa: F401 - fixture

SUITE = """
id: judged
template: "{{{{ q }}}}"
defaults:
  checks:
{checks}
cases:
  - {{id: paris, vars: {{q: "What is the capital of France?"}}, reference: Paris}}
  - {{id: mars, vars: {{q: "Which planet is called the Red Planet?"}}, reference: Mars}}
  - {{id: water, vars: {{q: "What is the chemical formula of water?"}}, reference: H2O}}
"""


def test_hf_score_token_probabilities_match_a_forward_pass(tiny_llama_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.generation.backends.hf import HFBackend

    backend = HFBackend(ModelSpec("hf", str(tiny_llama_dir), {"harness_dir": str(tmp_path), "device": "cpu"}))
    prompt = RenderedPrompt((Message("user", "Rate it 1-5. Score:"),), "Rate it 1-5. Score:")
    request = GenerationRequest("c", 0, prompt, GenParams(max_new_tokens=2), seed=1,
                                score_tokens=("1", "2", "3", "4", "5"))
    [(_, generation)] = list(backend.generate([request]))
    probs = generation.meta["score_probs"]
    ids = backend._model().encode(prompt)
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    with torch.no_grad():
        expected = torch.softmax(model(torch.tensor([ids])).logits[0, -1].float(), -1)
    for token in "12345":
        assert probs[token] == pytest.approx(float(expected[tokenizer.encode(token, add_special_tokens=False)[0]]),
                                             rel=1e-4, abs=1e-7)


def _project(root: Path, checks: str, outputs: dict[str, str]) -> None:
    (root / "harness.yaml").write_text("default_model: fake:echo\n")
    (root / "suite.yaml").write_text(SUITE.format(checks=checks))
    import json
    (root / "answers.jsonl").write_text("".join(json.dumps({"case": c, "sample": 0, "output": o}) + "\n"
                                                for c, o in outputs.items()))


class _Counting:
    """Counts the requests a backend class is asked to generate (wrapping the real method)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cls: type) -> None:
        self.requests = 0
        real = cls.generate

        def generate(backend, requests):  # type: ignore[no-untyped-def]
            self.requests += len(requests)
            return real(backend, requests)

        monkeypatch.setattr(cls, "generate", generate)


def _run(root: Path):
    from harness.project.config import resolve_model

    project = load_project_config(root)
    suite = load_suite(root / "suite.yaml")
    return run_suite(suite, resolve_model("replay:answers.jsonl", project), project, RunOptions(progress=False))


@pytest.mark.slow
def test_the_bundled_model_judges_a_suite_through_hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.generation.backends.hf import HFBackend

    monkeypatch.chdir(tmp_path)
    checks = ("    - {type: llm-rubric, rubric: 'The answer is correct.', judge: smollm2, max_new_tokens: 48}\n"
              "    - {type: g-eval, criteria: 'Correctness', judge: smollm2}\n")
    _project(tmp_path, checks, {"paris": "Paris", "mars": "Venus", "water": "H2O"})
    counter = _Counting(monkeypatch, HFBackend)
    first = _run(tmp_path)
    assert counter.requests == 6  # 3 outputs x 2 judge checks, one judgment each
    for case in first.cases:
        rubric, geval = case.samples[0].scores
        assert rubric.judge == geval.judge == "smollm2"
        assert rubric.judge_error or rubric.value is not None
        assert geval.value is not None and 0.0 <= geval.value <= 1.0
        assert "probability-weighted" in geval.reason  # hf gave the score-token probabilities
    again = _run(tmp_path)
    assert counter.requests == 6  # the cached rerun made zero judge calls
    assert [s.scores for c in again.cases for s in c.samples] == [s.scores for c in first.cases for s in c.samples]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    pytest.importorskip("fastapi", reason="transformers serve needs the transformers[serving] extra")
    from tests.support.serve import transformers_serve
    from tests.support.tiny_models import build_tiny_chat_model

    model = build_tiny_chat_model(tmp_path_factory.mktemp("judge") / "tiny")
    with transformers_serve(model, tmp_path_factory.mktemp("logs") / "serve.log") as url:
        yield url, model


@pytest.mark.slow
def test_a_served_judge_through_openai_and_a_cached_rerun(served: tuple[str, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.fault_proxy import FaultProxy

    url, model = served
    monkeypatch.chdir(tmp_path)
    with FaultProxy(url) as proxy:
        judge = f"openai:{proxy.url}/v1#{model}"
        _project(tmp_path, f"    - {{type: closedqa, judge: '{judge}', judge_samples: 2, max_new_tokens: 8}}\n",
                 {"paris": "Paris", "mars": "Mars", "water": "CO2"})
        first = _run(tmp_path)
        posts = [p for p in proxy.posts() if p.path.endswith("/chat/completions")]
        assert len(posts) == 6  # 3 outputs x 2 judgments, each answered by the server
        scores = [c.samples[0].scores[0] for c in first.cases]
        # a random tiny model rarely answers Y/N: whatever it said is a verdict or a judge error, never a crash
        assert all(s.judge == judge.removeprefix("openai:") or s.judge for s in scores)
        assert all(s.judge_error or len(s.judgments) >= 1 for s in scores)
        assert not any(s.error and not s.judge_error for s in scores)
        _run(tmp_path)
        assert len([p for p in proxy.posts() if p.path.endswith("/chat/completions")]) == 6  # zero new calls

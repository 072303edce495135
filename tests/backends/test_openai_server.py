"""The openai: backend against a real ``transformers serve`` (one per module) and a fault proxy in front of it.

Served outputs are compared with harness's hf backend on the same checkpoint (chat), and with
plain greedy ``model.generate`` on the raw text (completion mode).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.generation.backends.base import ModelSpec
from harness.generation.backends.openai import OpenAIBackend
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt
from tests.support.fault_proxy import Drop, FaultProxy, Slow, Status
from tests.support.serve import free_port, transformers_serve
from tests.support.tiny_models import build_tiny_chat_model

pytestmark = pytest.mark.slow
pytest.importorskip("fastapi", reason="transformers serve needs the transformers[serving] extra")
pytest.importorskip("openai", reason="transformers serve needs the transformers[serving] extra")

QUESTIONS = ["What is the capital of France?", "hi", "2+2=", "Name a colour.", "Tell me a story."]
SECRET = "sk-test-Zq81-very-secret-key"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_chat_model(tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(scope="module")
def server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with transformers_serve(tiny_model, tmp_path_factory.mktemp("logs") / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def module_proxy(server: str) -> Iterator[FaultProxy]:
    with FaultProxy(server) as proxy:
        yield proxy


@pytest.fixture
def proxy(module_proxy: FaultProxy) -> FaultProxy:
    module_proxy.reset()
    return module_proxy


@pytest.fixture(scope="module")
def hf_backend(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """harness's own hf backend on the same checkpoint (loaded once for the module)."""
    from harness.generation.backends import create_backend

    spec = ModelSpec(backend="hf", target=str(tiny_model),
                     options={"device": "cpu", "harness_dir": str(tmp_path_factory.mktemp("hf"))})
    backend = create_backend(spec)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def reference(tiny_model: Path, hf_backend):
    """Local greedy generation: (prompt, max_new_tokens, chat) -> (output, token count).

    Chat prompts go through the hf backend; plain-text prompts (completion mode, no chat
    template) through ``model.generate``.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)

    def generate(prompt: str, max_new_tokens: int, chat: bool = True) -> tuple[str, int]:
        if chat:
            [(_, result)] = list(hf_backend.generate([request(prompt, max_new_tokens)]))
            assert result.error is None
            return result.output, result.new_tokens
        inputs = tokenizer(prompt, return_tensors="pt")
        config = copy.deepcopy(model.generation_config)
        config.max_new_tokens, config.do_sample = max_new_tokens, False
        with torch.no_grad():
            out = model.generate(**inputs, generation_config=config)
        new = out[0, inputs["input_ids"].shape[-1]:]
        return tokenizer.decode(new, skip_special_tokens=True), len(new)

    return generate


def spec_for(base: str, model: Path, **options) -> ModelSpec:
    return ModelSpec(backend="openai", target=f"{base}/v1",
                     options={"model": str(model), "backoff": 0.05, "timeout": 20, **options})


def request(text: str, max_new_tokens: int = 8, seed: int = 1, case: str = "c") -> GenerationRequest:
    prompt = RenderedPrompt(messages=(Message("user", text),), text=text)
    return GenerationRequest(case_id=case, sample=0, prompt=prompt,
                             params=GenParams(max_new_tokens=max_new_tokens), seed=seed)


def run(spec: ModelSpec, requests: list[GenerationRequest]) -> dict:
    backend = OpenAIBackend(spec)
    try:
        return dict(backend.generate(requests))
    finally:
        backend.close()


def test_chat_outputs_match_the_hf_backend(server, tiny_model, hf_backend):
    requests = [request(q, max_new_tokens=10, case=f"q{i}") for i, q in enumerate(QUESTIONS)]
    got = run(spec_for(server, tiny_model, concurrency=4), requests)
    local = dict(hf_backend.generate(requests))  # batched in one process
    assert sorted(got) == sorted(local) == list(range(len(QUESTIONS)))
    for i in range(len(QUESTIONS)):
        assert got[i].error is None and local[i].error is None
        assert (got[i].output, got[i].new_tokens) == (local[i].output, local[i].new_tokens)
        assert got[i].latency_s > 0
    assert len({g.output for g in got.values()}) > 1  # prompt-dependent, so the comparison means something


def test_completion_mode_matches_local_generate_on_plain_text(server, tiny_model, reference):
    got = run(spec_for(server, tiny_model, mode="completion"), [request("The capital of France is", 6)])
    assert got[0].error is None
    assert (got[0].output, got[0].new_tokens) == reference("The capital of France is", 6, chat=False)


def test_target_fragment_names_the_model(server, tiny_model, reference):
    spec = ModelSpec(backend="openai", target=f"{server}/v1#{tiny_model}")
    got = run(spec, [request("hi", 5)])
    assert got[0].output == reference("hi", 5)[0]


def test_results_are_yielded_as_they_complete(proxy, tiny_model):
    proxy.push(Slow(3.0))  # whichever request arrives first is held back
    backend = OpenAIBackend(spec_for(proxy.url, tiny_model, concurrency=2))
    results = list(backend.generate([request("hi", 3), request("2+2=", 3)]))
    assert sorted(i for i, _ in results) == [0, 1]
    (_, first), (_, second) = results
    assert second.latency_s >= 3.0 > first.latency_s  # the held one is yielded last, whatever its index


def test_stopping_early_cancels_what_is_left(proxy, tiny_model):
    backend = OpenAIBackend(spec_for(proxy.url, tiny_model, concurrency=1))
    stream = backend.generate([request(f"q{i}", 3, case=f"c{i}") for i in range(8)])
    _, first = next(stream)
    stream.close()
    assert first.error is None and len(proxy.posts()) <= 2


def test_fingerprint_records_server_entry_and_warns(server, tiny_model):
    fp = OpenAIBackend(spec_for(server, tiny_model)).fingerprint()
    assert fp["served"] is True and "change" in fp["warning"]
    assert fp["base_url"] == f"{server}/v1" and fp["model"] == str(tiny_model)
    assert fp["server_model"]["id"] == str(tiny_model)
    assert "status" not in fp["server_model"] and "created" not in fp["server_model"]  # volatile fields
    assert OpenAIBackend(spec_for(server, tiny_model)).fingerprint() == fp  # stable across instances


def test_fingerprint_of_unknown_model_and_unreachable_server(server, tiny_model):
    fp = OpenAIBackend(spec_for(server, Path("/no/such/model"))).fingerprint()
    assert fp["server_model"] is None and "not listed" in fp["server_problem"]
    down = OpenAIBackend(spec_for(f"http://127.0.0.1:{free_port()}", tiny_model)).fingerprint()
    assert down["server_model"] is None and "ConnectError" in down["server_problem"]


def test_429_with_retry_after_is_honoured(proxy, tiny_model, reference):
    proxy.push(Status(429, retry_after="1"))
    got = run(spec_for(proxy.url, tiny_model), [request("hi", 4)])
    assert got[0].error is None and got[0].output == reference("hi", 4)[0]
    assert got[0].meta["attempts"] == 2
    first, second = proxy.posts()
    assert second.at - first.at >= 1.0


def test_500_is_retried_until_success(proxy, tiny_model):
    proxy.push(Status(500), Status(503))
    got = run(spec_for(proxy.url, tiny_model), [request("hi", 4)])
    assert got[0].error is None and got[0].output
    assert got[0].meta["attempts"] == 3 and len(proxy.posts()) == 3


def test_other_4xx_is_not_retried_and_is_an_error_not_an_answer(proxy, tiny_model):
    proxy.push(Status(400, body='{"error": "bad request"}'))
    got = run(spec_for(proxy.url, tiny_model), [request("hi", 4)])
    assert got[0].output == "" and "HTTP 400" in got[0].error
    assert len(proxy.posts()) == 1


def test_real_server_4xx_is_recorded(server, tiny_model):
    got = run(spec_for(server, Path("/some/other/model")), [request("hi", 4)])
    assert got[0].output == "" and "HTTP 400" in got[0].error and "pinned" in got[0].error


def test_attempts_are_capped(proxy, tiny_model):
    proxy.push(*[Status(503)] * 10)
    got = run(spec_for(proxy.url, tiny_model, max_attempts=3), [request("hi", 4)])
    assert "gave up after 3 attempts" in got[0].error and "HTTP 503" in got[0].error
    assert len(proxy.posts()) == 3


def test_retry_after_longer_than_allowed_gives_up(proxy, tiny_model):
    proxy.push(Status(429, retry_after="3600"))
    started = time.monotonic()
    got = run(spec_for(proxy.url, tiny_model, max_retry_after=5), [request("hi", 4)])
    assert "retry after 3600s" in got[0].error and time.monotonic() - started < 5


def test_slow_response_times_out_then_retries(proxy, tiny_model, reference):
    proxy.push(Slow(15.0))
    started = time.monotonic()
    got = run(spec_for(proxy.url, tiny_model, timeout=3.0), [request("hi", 4)])
    assert got[0].error is None and got[0].output == reference("hi", 4)[0]
    assert got[0].meta["attempts"] == 2 and time.monotonic() - started < 15  # did not wait for the slow one


def test_always_slow_server_ends_in_a_timeout_error(proxy, tiny_model):
    proxy.push(Slow(3.0), Slow(3.0))
    got = run(spec_for(proxy.url, tiny_model, timeout=0.5, max_attempts=2), [request("hi", 4)])
    assert got[0].output == "" and "timed out after 0.5s" in got[0].error


def test_dropped_connection_is_retried(proxy, tiny_model, reference):
    proxy.push(Drop(), Drop())
    got = run(spec_for(proxy.url, tiny_model), [request("2+2=", 4)])
    assert got[0].error is None and got[0].output == reference("2+2=", 4)[0]
    assert got[0].meta["attempts"] == 3


def test_server_down_fails_fast_after_consecutive_failures(proxy, tiny_model):
    proxy.push(*[Status(503)] * 100)
    requests = [request(f"q{i}", 2, case=f"c{i}") for i in range(20)]
    got = run(spec_for(proxy.url, tiny_model, concurrency=1, max_attempts=2, max_consecutive_failures=3), requests)
    assert len(got) == 20 and all(g.error and g.output == "" for g in got.values())
    assert len(proxy.posts()) == 3 * 2  # three requests tried twice each, the other 17 not sent
    assert sum("taken as down" in g.error for g in got.values()) == 17


def test_unreachable_server_is_an_error_per_case(tiny_model):
    got = run(spec_for(f"http://127.0.0.1:{free_port()}", tiny_model, max_attempts=2), [request("hi"), request("yo")])
    assert all(g.output == "" and "ConnectError" in g.error for g in got.values())


def test_api_key_is_sent_but_never_shown(proxy, tiny_model, monkeypatch, caplog):
    monkeypatch.setenv("HARNESS_TEST_KEY", SECRET)
    spec = spec_for(proxy.url, tiny_model, api_key_env="HARNESS_TEST_KEY", max_attempts=2)
    backend = OpenAIBackend(spec)
    # The server echoes the Authorization header in its error body: the message must not carry it.
    proxy.push(Status(500, body='{"error": "bad key {authorization}"}'),
               Status(401, body='{"auth": "{authorization}"}'))
    with caplog.at_level(logging.DEBUG):
        got = dict(backend.generate([request("hi", 3)]))
        fingerprint = backend.fingerprint()
    assert proxy.posts()[0].headers["authorization"] == f"Bearer {SECRET}"
    assert "HTTP 401" in got[0].error and "***" in got[0].error
    shown = [got[0].error, repr(backend), str(backend.__dict__), repr(spec), json.dumps(fingerprint),
             caplog.text, str(got[0].meta)]
    assert all(SECRET not in text for text in shown)
    assert "HARNESS_TEST_KEY" in repr(spec)  # the spec names the variable, not the key


def test_cli_run_exits_3_keeps_what_finished_and_resumes(proxy, tiny_model, tmp_path):
    """End to end: a request that fails for good makes `harness run` exit 3; the rerun sends only that one."""
    import os
    import subprocess
    import sys

    (tmp_path / "harness.yaml").write_text(
        "models:\n"
        f"  tiny: {{backend: openai, url: '{proxy.url}/v1', model: '{tiny_model}', concurrency: 1,"
        " max_attempts: 1}\n")
    (tmp_path / "suites").mkdir()
    cases = "".join(f"  - {{id: c{i}, vars: {{q: 'question {i}'}}}}\n" for i in range(4))
    (tmp_path / "suites" / "s.yaml").write_text(
        "id: s\ntemplate: '{{ q }}'\ndefaults: {params: {max_new_tokens: 3}}\ncases:\n" + cases)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HF_HUB_OFFLINE": "1"}

    def harness_run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "harness", "run", "suites/s.yaml", "--model", "tiny"],
                              check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)

    proxy.push(Status(503))
    first = harness_run()
    assert first.returncode == 3, first.stdout + first.stderr
    assert len(proxy.posts()) == 4
    proxy.reset()
    second = harness_run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(proxy.posts()) == 1  # the three that finished came from the cache


def test_wrong_port_is_one_concise_error(tiny_model, caplog):
    """Nothing listens on the port: no retries, one warning for five requests, a message that says why."""
    requests = [request(f"q{i}", 2, case=f"c{i}") for i in range(5)]
    with caplog.at_level(logging.WARNING):
        got = run(spec_for(f"http://127.0.0.1:{free_port()}", tiny_model), requests)
    assert all(g.output == "" and "cannot connect to" in g.error and "port" in g.error for g in got.values())
    assert all(g.meta["attempts"] == 1 for g in got.values() if "cannot connect" in g.error)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 2, [r.getMessage() for r in warnings]  # the refusal, and at most "taken as down"

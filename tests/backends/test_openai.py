"""openai: spec parsing, options, request mapping and key handling (no server; see test_openai_server.py)."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.generation.backends.base import ModelSpec
from harness.generation.backends.openai import (
    OpenAIBackend,
    OpenAIOptions,
    parse_openai_target,
    parse_response,
    request_body,
)
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt


def spec(target: str = "http://127.0.0.1:8000/v1#m", **options) -> ModelSpec:
    return ModelSpec(backend="openai", target=target, options=options)


def req(**params) -> GenerationRequest:
    prompt = RenderedPrompt(messages=(Message("system", "Be brief."), Message("user", "Hi")), text="Be brief.\n\nHi")
    return GenerationRequest(case_id="c", sample=2, prompt=prompt, params=GenParams(**params), seed=1234)


def test_parse_target():
    assert parse_openai_target("http://127.0.0.1:8000/v1#org/model-a") == ("http://127.0.0.1:8000/v1", "org/model-a")
    assert parse_openai_target("https://api.example.com/v1/") == ("https://api.example.com/v1", None)
    with pytest.raises(ConfigError, match="not an http"):
        parse_openai_target("127.0.0.1:8000/v1#m")


def test_options_defaults_and_model_from_option_or_fragment():
    opts = OpenAIOptions.from_spec(spec())
    assert (opts.model, opts.mode, opts.concurrency, opts.retry.max_attempts) == ("m", "chat", 8, 5)
    assert OpenAIOptions.from_spec(spec("http://h/v1", model="x", harness_dir="/p")).model == "x"


@pytest.mark.parametrize("options,field", [({"mode": "edit"}, "mode"), ({"concurrency": 0}, "concurrency"),
                                           ({"timeout": "fast"}, "timeout"), ({"max_attempts": 1.5}, "max_attempts"),
                                           ({"concurency": 4}, "concurency")])
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ConfigError) as info:
        OpenAIOptions.from_spec(spec(**options))
    assert info.value.field == field


def test_missing_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="no model name"):
        OpenAIOptions.from_spec(spec("http://h/v1"))


def test_request_body_maps_params_chat_and_completion():
    opts = OpenAIOptions.from_spec(spec())
    body = request_body(opts, req(max_new_tokens=16, temperature=0.7, top_p=0.9, stop=("\n",)))
    assert body == {"model": "m", "max_tokens": 16, "temperature": 0.7, "top_p": 0.9, "stop": ["\n"], "seed": 1234,
                    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    completion = request_body(OpenAIOptions.from_spec(spec(mode="completion")), req())
    assert completion["prompt"] == "Be brief.\n\nHi" and "messages" not in completion
    assert "top_p" not in completion and "stop" not in completion and "top_k" not in completion


def test_parse_response_reads_text_usage_and_fingerprint():
    payload = {"choices": [{"message": {"content": "Paris"}, "finish_reason": "stop"}], "model": "m",
               "usage": {"completion_tokens": 2}, "system_fingerprint": "fp_1"}
    assert parse_response("chat", payload) == ("Paris", 2, {"finish_reason": "stop", "system_fingerprint": "fp_1",
                                                            "served_model": "m"})
    with pytest.raises(ValueError, match="choices"):
        parse_response("completion", payload)


def test_api_key_env_unset_names_the_variable(monkeypatch):
    monkeypatch.delenv("HARNESS_NO_SUCH_KEY", raising=False)
    with pytest.raises(ConfigError, match="HARNESS_NO_SUCH_KEY"):
        OpenAIBackend(spec(api_key_env="HARNESS_NO_SUCH_KEY"))


def test_key_is_held_but_not_shown(monkeypatch):
    monkeypatch.setenv("HARNESS_K", "sk-abc-123")
    backend = OpenAIBackend(spec(api_key_env="HARNESS_K"))
    assert backend.headers() == {"Authorization": "Bearer sk-abc-123"}
    assert "sk-abc-123" not in repr(backend) + str(vars(backend)) + repr(backend._key)
    assert backend.redact("echo sk-abc-123!") == "echo ***!"


def test_no_requests_yields_nothing():
    assert list(OpenAIBackend(spec()).generate([])) == []

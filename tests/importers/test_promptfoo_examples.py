"""The expected mapping of each promptfoo example config copied from promptfoo's examples/
folder (tests/fixtures/promptfoo, MIT): prompts, cases, checks, what is listed as unsupported,
and the models written to harness.yaml. test_promptfoo.py checks that each one validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.importers.output import ImportResult
from harness.importers.promptfoo import import_promptfoo

FIXTURES = Path(__file__).parent.parent / "fixtures" / "promptfoo"


def _convert(name: str) -> tuple[ImportResult, dict[str, dict[str, Any]]]:
    result = import_promptfoo(FIXTURES / name / "promptfooconfig.yaml")
    suites = {rel.removeprefix("suites/").removesuffix(".yaml"): yaml.safe_load(text)
              for rel, text in result.files.items() if rel.startswith("suites/")}
    return result, suites


def _kinds(result: ImportResult) -> list[str]:
    """The assert types listed as unsupported, in order."""
    return [u.reason.split("'")[1] for u in result.unsupported if u.reason.startswith("'")]


def _models(result: ImportResult) -> dict[str, Any]:
    return yaml.safe_load(result.files["harness.yaml"])["models"] if "harness.yaml" in result.files else {}


def test_fixture_count() -> None:
    assert len([p for p in FIXTURES.iterdir() if p.is_dir()]) >= 15


def test_config_csv_metadata() -> None:
    result, suites = _convert("config-csv-metadata")
    suite = suites["config-csv-metadata"]
    assert suite["template"] == "Tell me about {{topic}}"
    assert [(c["vars"], c["checks"]) for c in suite["cases"]] == [
        ({"topic": t}, [{"type": "contains", "value": v}])
        for t, v in (("machine learning", "algorithm"), ("quantum physics", "quantum"),
                     ("climate change", "temperature"))]
    assert _kinds(result) == ["llm-rubric"] * 3
    assert [u.path for u in result.unsupported] == [f"tests.csv:{n}.assert.1.type" for n in (2, 3, 4)]
    assert _models(result)["openai-chat-gpt-5.4-mini"]["model"] == "gpt-5.4-mini"


def test_eval_custom_grader_csv_lists_the_javascript_cells() -> None:
    result, suites = _convert("eval-custom-grader-csv")
    assert [s["template"] for s in suites.values()] == ["Rephrase this in French: {{body}}",
                                                        "Rephrase this like a pirate: {{body}}"]
    assert all(c["checks"] == [] for c in suites["eval-custom-grader-csv-1"]["cases"])
    assert _kinds(result) == ["javascript"] * 4
    assert [u.path for u in result.unsupported] == [f"tests.csv:{n}.assert.0.type" for n in (2, 3, 4, 5)]


def test_assistant_cli_csv_vars_and_two_prompts() -> None:
    result, suites = _convert("assistant-cli")
    assert sorted(suites) == ["assistant-cli-1", "assistant-cli-2"]
    assert suites["assistant-cli-2"]["template"].endswith("Use markdown for emphasis")
    cases = suites["assistant-cli-1"]["cases"]
    assert len(cases) == 10 and cases[0]["vars"] == {
        "name": "Bob", "question": "Can you help me find a specific product on your website?"}
    assert result.unsupported == []


def test_eval_customer_support_rubric_threshold_and_description() -> None:
    result, suites = _convert("eval-customer-support-rubric")
    cases = suites["eval-customer-support-rubric"]["cases"]
    assert [c["id"] for c in cases][:2] == ["es-refund-ticket-answered-in-spanish",
                                           "es-billing-reply-with-an-invented-policy"]
    assert [c.get("threshold") for c in cases] == [None, None, None, 0.0, 0.0, None, 0.0, None]
    assert set(cases[0]["vars"]) == {"language", "context", "customer_message", "reply"}  # __metadata dropped
    assert _kinds(result) == ["llm-rubric"] * 5  # the five defaultTest rubrics, listed once
    assert any(n.path.endswith("options.provider") for n in result.notes)
    assert any("'echo'" in n.reason for n in result.notes)


def test_json_output_transforms_are_unsupported() -> None:
    result, suites = _convert("json-output")
    cases = suites["json-output"]["cases"]
    assert cases[0]["checks"] == [{"type": "is-json"}]
    assert cases[1]["checks"][0]["type"] == "json-schema"
    assert cases[1]["checks"][0]["schema"]["required"] == ["color", "countries"]
    assert len(cases[1]["checks"]) == 1  # contains-any with an assert `transform` is not converted
    paths = [u.path for u in result.unsupported]
    assert paths == ["tests.0.assert.1.type", "tests.1.options.transform", "tests.1.assert.1.type",
                     "tests.1.assert.2.type"]
    assert "transform" in result.unsupported[-1].reason


def test_simple_cli_two_prompts_no_asserts() -> None:
    result, suites = _convert("simple-cli")
    assert [s["template"] for s in suites.values()] == ["Rephrase this in {{language}}: {{body}}",
                                                        "Translate this to conversational {{language}}: {{body}}"]
    assert [c["vars"]["body"] for c in suites["simple-cli-1"]["cases"]] == ["Hello world", "I'm hungry"] * 2
    assert result.unsupported == [] and _models(result)["openai-gpt-5"]["backend"] == "openai"


def test_getting_started_contains_and_two_providers() -> None:
    result, suites = _convert("getting-started")
    checks = [c["checks"] for c in suites["getting-started-2"]["cases"]]
    assert checks == [[{"type": "contains", "value": "Bonjour le monde"}],
                      [{"type": "icontains", "value": "Dónde está la biblioteca"}]]
    assert sorted(_models(result)) == ["openai-gpt-4.1", "openai-o4-mini"]


def test_mistral_llama_comparison_prompt_map_and_hf_provider() -> None:
    result, suites = _convert("mistral-llama-comparison")
    # {path: label}: the keys are the prompt files (bare paths, read as promptfoo does)
    assert [s["template"] for s in suites.values()] == ["<s>[INST]{{message}}[/INST]", "[INST] {{message}} [/INST]"]
    assert len(suites["mistral-llama-comparison-1"]["cases"]) == 8
    assert _kinds(result) == ["llm-rubric"] * 4
    model = _models(result)["huggingface-text-generation-mistralai-mistral-7b-instruct-v0.1"]
    assert model == {"backend": "hf", "model": "mistralai/Mistral-7B-Instruct-v0.1",
                     "params": {"temperature": 0.01, "max_new_tokens": 128}}
    assert sum("has no harness backend" in n.reason for n in result.notes) == 2  # replicate


def test_claude_vs_gpt_yaml_chat_prompt_and_default_asserts() -> None:
    result, suites = _convert("claude-vs-gpt")
    suite = suites["claude-vs-gpt"]
    assert suite["system"] == "Be concise"
    assert suite["template"] == "Answer this riddle:\n{{riddle}}\n"  # text content blocks joined
    cases = suite["cases"]
    assert len(cases) == 15
    assert cases[4]["checks"] == [{"type": "icontains", "value": ["fire", "flame"]}]
    assert cases[13]["checks"] == [{"type": "contains", "value": "David"}]
    assert _kinds(result)[:3] == ["cost", "latency", "javascript"]
    assert sorted(_models(result)) == ["openai-chat-gpt-4o"]


def test_gpt_4o_vs_4o_mini_cost_and_latency_listed_once() -> None:
    result, suites = _convert("gpt-4o-vs-4o-mini")
    assert [u.path for u in result.unsupported][:2] == ["defaultTest.assert.0.type", "defaultTest.assert.1.type"]
    assert _kinds(result) == ["cost", "latency", "llm-rubric", "llm-rubric"]
    cases = suites["gpt-4o-vs-4o-mini"]["cases"]
    assert cases[0]["checks"] == [{"type": "contains", "value": "echo"}] and cases[3]["checks"] == []


def test_phi_vs_llama_ollama_providers_are_notes() -> None:
    result, suites = _convert("phi-vs-llama")
    assert suites["phi-vs-llama"]["template"] == "Write a tweet about {{topic}}"
    assert len(suites["phi-vs-llama"]["cases"]) == 16
    assert "harness.yaml" not in result.files and len(result.notes) == 2


def test_gemma_vs_llama_default_transform_and_checks() -> None:
    result, suites = _convert("gemma-vs-llama")
    checks = {c["vars"]["message"][:20]: c["checks"] for c in suites["gemma-vs-llama"]["cases"]}
    assert checks["Explain the effects "] == [{"type": "icontains", "value": "sea ice"}]
    assert checks["Apologize for a dela"][0]["type"] == "similarity"
    assert checks["Apologize for a dela"][0]["min"] == 0.5
    assert checks["Provide a JSON repre"] == [{"type": "is-json"}]
    assert checks["Continue the story f"] == [{"type": "starts-with", "value": "The mysterious figure approached"}]
    transforms = [u.path for u in result.unsupported if u.path.endswith("options.transform")]
    assert len(transforms) == 10  # defaultTest's transform, reported for every test it applies to

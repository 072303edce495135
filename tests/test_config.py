"""harness.yaml and model specs."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_project import Project

from harness.errors import ConfigError, UsageError
from harness.project.config import load_project_config, resolve_model


def test_defaults_without_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load_project_config()
    assert config.root == tmp_path.resolve() and config.config_file is None
    assert config.cache_dir == tmp_path.resolve() / ".harness" / "cache"
    assert config.database == f"sqlite:///{tmp_path.resolve() / '.harness' / 'history.db'}"
    assert config.default_model == "smollm2"


def test_found_by_walking_up(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("harness.yaml", "default_model: fake:echo\ncache_dir: build/gen-cache\nsamples: 3\nseed: 7\n")
    deep = project.root / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    config = load_project_config()
    assert config.root == project.root.resolve()
    assert config.cache_dir == project.root.resolve() / "build" / "gen-cache"
    assert (config.samples, config.seed, config.default_model) == (3, 7, "fake:echo")


def test_relative_sqlite_url_is_rooted(project: Project) -> None:
    project.write("harness.yaml", "database: sqlite:///db/h.db\n")
    assert load_project_config().database == f"sqlite:///{project.root.resolve() / 'db' / 'h.db'}"


def test_model_names_inherit_and_merge_params(project: Project) -> None:
    project.write("harness.yaml", """
        models:
          base: {backend: hf, model: ./ckpt, dtype: float32, params: {temperature: 0.2, max_new_tokens: 20}}
          hot: {base: base, quantize: int8, params: {temperature: 0.9}}
        """)
    spec = resolve_model("hot", load_project_config())
    assert (spec.backend, spec.target, spec.name) == ("hf", "./ckpt", "hot")
    assert spec.options["dtype"] == "float32" and spec.options["quantize"] == "int8"
    assert spec.params == {"temperature": 0.9, "max_new_tokens": 20}
    assert spec.label == "hot"


def test_builtin_model_names(project: Project) -> None:
    spec = resolve_model("smollm2-int8", load_project_config())
    assert (spec.backend, spec.options.get("gguf"), spec.options.get("quantize")) == ("hf", "bundled-smollm2", "int8")


@pytest.mark.parametrize("text, backend, target, option", [
    ("hf:HuggingFaceTB/SmolLM2-135M-Instruct", "hf", "HuggingFaceTB/SmolLM2-135M-Instruct", {}),
    ("openai:http://127.0.0.1:8000/v1#my-model", "openai", "http://127.0.0.1:8000/v1", {"model": "my-model"}),
    ("hf:./weights/model.Q4.gguf", "hf", "./weights/model.Q4.gguf", {"gguf": "model.Q4.gguf"}),
    ("fake:echo", "fake", "echo", {}),
])
def test_spec_strings(project: Project, text: str, backend: str, target: str, option: dict) -> None:
    spec = resolve_model(text, load_project_config())
    assert (spec.backend, spec.target) == (backend, target)
    assert option.items() <= spec.options.items()


def test_replay_spec_is_rooted_in_project(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "sub").mkdir()
    monkeypatch.chdir(project.root / "sub")
    spec = resolve_model("replay:rec/out.jsonl", load_project_config())
    assert spec.target == str(project.root.resolve() / "rec" / "out.jsonl")


@pytest.mark.parametrize("bad", ["gpt4", "C:\\models\\x", "hf:"])
def test_unknown_spec_is_usage_error(project: Project, bad: str) -> None:
    with pytest.raises(UsageError, match="unknown model"):
        resolve_model(bad, load_project_config())


def test_unknown_model_via_cli(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/s.yaml", "--model", "gpt4", "--no-store")
    assert result.code == 2
    assert "unknown model 'gpt4': use BACKEND:TARGET" in result.text


def test_unknown_backend_did_you_mean(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/s.yaml", "--model", "replai:x.jsonl", "--no-store")
    assert result.code == 2
    assert "unknown backend 'replai'; did you mean 'replay'?" in result.text


def test_unknown_field_in_harness_yaml(project: Project) -> None:
    project.write("harness.yaml", "default_model: fake:echo\nmodels:\n  m: {backend: hf, modle: x}\n")
    project.suite("s", "id: s\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/s.yaml", "--no-store")
    assert result.code == 2
    assert "harness.yaml:3: field 'models.m.modle': unknown field 'modle'" in result.text


def test_unknown_base_and_default(project: Project) -> None:
    project.write("harness.yaml", "models:\n  m: {base: nope}\n")
    with pytest.raises(ConfigError, match=r"harness.yaml:2: field 'models.m.base': model 'm' has unknown base"):
        load_project_config()
    project.write("harness.yaml", "default_model: missing\n")
    with pytest.raises(ConfigError, match="default_model 'missing' is not in models"):
        load_project_config()


def test_inheritance_cycle(project: Project) -> None:
    project.write("harness.yaml", "models:\n  a: {base: b}\n  b: {base: a}\n")
    with pytest.raises(ConfigError, match="inherits from itself"):
        resolve_model("a", load_project_config())


def test_default_model_from_config_used_by_run(project: Project) -> None:
    project.write("harness.yaml", "models:\n  rec: {backend: replay, file: rec.jsonl}\ndefault_model: rec\n")
    project.replay({"a": "recorded"}, rel="rec.jsonl")
    project.suite("s", "id: s\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/s.yaml", "--no-store", "--json", "out.json")
    assert result.code == 0, result.text
    suite = project.read_json("out.json")["suites"][0]
    assert suite["model"] == "rec" and suite["cases"][0]["outputs"] == ["recorded"]

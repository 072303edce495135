"""`harness init`: the scaffolded project loads, runs on its recorded outputs, and is never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.project.config import load_project_config, resolve_model
from harness.project.scaffold import FILES, init_project
from harness.project.suites import load_suite


def test_init_writes_the_example_files(tmp_path: Path) -> None:
    written = init_project(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(FILES)
    assert all(p.is_file() and p.read_text() for p in written)


def test_scaffolded_suite_and_config_load(tmp_path: Path) -> None:
    init_project(tmp_path)
    suite = load_suite(tmp_path / "suites" / "capitals.yaml")
    assert suite.id == "capitals" and len(suite.cases) == 4
    assert suite.prompt.version == "v1"
    assert any("critical" in c.tags for c in suite.cases)
    config = load_project_config(tmp_path)
    assert config.default_model == "smollm2"
    assert config.policy == {"critical_regressions": 0, "max_regressions": {"value": 0, "level": "warn"},
                             "max_pass_rate_drop": 0.05}
    assert resolve_model("smollm2-int8", config).options.get("quantize") == "int8"
    from harness.analysis.gate import parse_policy

    policy = parse_policy(config.policy)
    assert policy.critical_regressions is not None and policy.critical_regressions.value == 0
    assert policy.max_pass_rate_drop is not None and policy.max_pass_rate_drop.value == 0.05
    recorded = resolve_model("recorded", config)
    assert recorded.backend == "replay" and Path(recorded.target) == tmp_path / "replays" / "capitals.jsonl"


def test_replay_file_covers_every_case_and_paraphrase(tmp_path: Path) -> None:
    from harness.generation.backends.replay import parse_replay

    init_project(tmp_path)
    suite = load_suite(tmp_path / "suites" / "capitals.yaml")
    path = tmp_path / "replays" / "capitals.jsonl"
    records = parse_replay(path.read_text(), str(path))
    keys = {(case, variant) for (_, case, variant, _) in records}
    for case in suite.cases:
        assert (case.id, "main") in keys
        for i in range(len(case.paraphrases)):
            assert (case.id, f"paraphrase-{i + 1}") in keys


def test_second_init_refuses_and_names_the_file(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / "suites" / "capitals.yaml").write_text("# my edits\n")
    with pytest.raises(UsageError, match=r"harness\.yaml already exists"):
        init_project(tmp_path)
    assert (tmp_path / "suites" / "capitals.yaml").read_text() == "# my edits\n"


def test_refusal_happens_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "capitals.yaml").write_text("mine\n")
    with pytest.raises(UsageError, match="capitals.yaml already exists"):
        init_project(tmp_path)
    assert not (tmp_path / "harness.yaml").exists()


def test_force_overwrites(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / "harness.yaml").write_text("models: {}\n")
    init_project(tmp_path, force=True)
    assert "smollm2-int8" in (tmp_path / "harness.yaml").read_text()


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        init_project(target)


def test_scaffolded_project_runs_on_recorded_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.commands.run import RunOptionsCli, run_command

    init_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "out.json"
    code = run_command([Path("suites/capitals.yaml")],
                       RunOptionsCli(model="recorded", use_cache=False, store=False), {"json": report})
    assert code == 0
    import json

    data = json.loads(report.read_text())
    suite = data["suites"][0]
    assert suite["id"] == "capitals" and suite["pass_rate"] == 0.75
    failed = [c["id"] for c in suite["cases"] if not c["passed"]]
    assert failed == ["canada"]


def _yaml_blocks(markdown: str) -> list[str]:
    import re

    return re.findall(r"```yaml\n(.*?)```", markdown, re.DOTALL)


def test_tutorial_examples_load_in_a_scaffolded_project(tmp_path: Path) -> None:
    """The suite and the edited prompt shown in docs/tutorial.md are valid."""
    from harness.project.prompts import prompt_from_doc
    from harness.project.yamlfile import load_yaml_text

    text = (Path(__file__).resolve().parents[1] / "docs" / "tutorial.md").read_text()
    blocks = _yaml_blocks(text)
    suite_text = next(b for b in blocks if b.startswith("id: units"))
    prompt_text = next(b for b in blocks if b.startswith("id: short-answer"))
    init_project(tmp_path)
    (tmp_path / "suites" / "units.yaml").write_text(suite_text)
    suite = load_suite(tmp_path / "suites" / "units.yaml")
    assert [c.id for c in suite.cases] == ["km-in-mile", "minutes-in-day", "grams-in-kilo"]
    prompt = prompt_from_doc(load_yaml_text(prompt_text, "prompts/short_answer.yaml"))
    assert prompt.version == "v2"


def test_init_writes_the_built_in_default_policy(tmp_path) -> None:
    """One default policy everywhere: what `harness init` writes is `DEFAULT_POLICY`."""
    from harness.analysis.gate import DEFAULT_POLICY, parse_policy
    from harness.project.scaffold import init_project
    from harness.project.yamlfile import load_yaml

    init_project(tmp_path)
    doc = load_yaml(tmp_path / "harness.yaml")
    assert parse_policy(doc.data["policy"], doc, ("policy",)) == DEFAULT_POLICY
    assert doc.data["suites"] == ["suites"]

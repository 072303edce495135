"""`harness import` through the CLI: exit codes, the unsupported list, and an imported suite that
runs and compares end to end on recorded outputs (replay backend)."""

from __future__ import annotations

from pathlib import Path

from harness_project import Project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "promptfoo"


def test_missing_file_exits_2(project: Project) -> None:
    result = project.cli("import", "promptfoo", "nope/promptfooconfig.yaml", "--out", "out")
    assert result.code == 2 and "not found" in result.text
    assert not (project.root / "out").exists()


def test_unknown_lm_eval_task_exits_2(project: Project) -> None:
    result = project.cli("import", "lm-eval", "no_such_task_xyz", "--out", "out")
    assert result.code == 2 and "unknown lm-eval task" in result.text
    assert not (project.root / "out").exists()


def test_unsupported_types_exit_2_listing_each_occurrence_and_write_nothing(project: Project) -> None:
    config = FIXTURES / "simple-test" / "promptfooconfig.yaml"
    result = project.cli("import", "promptfoo", str(config), "--out", "out")
    assert result.code == 2
    listed = [line for line in result.err.splitlines() if line.startswith("unsupported: ")]
    assert listed == [
        f"unsupported: {config}: tests.3.assert.0.type: 'javascript' runs code from the config; not converted",
        f"unsupported: {config}: tests.3.assert.1.type: 'python' runs code from the config; not converted",
        (f"unsupported: {config}: tests.4.assert.0.type: 'llm-rubric' is model-graded; the harness has no"
         " judge model yet")]
    assert "3 unsupported item(s); nothing written" in result.err
    assert not (project.root / "out").exists()


def test_skip_unsupported_imports_the_rest_and_prints_the_list(project: Project) -> None:
    config = FIXTURES / "simple-test" / "promptfooconfig.yaml"
    result = project.cli("import", "promptfoo", str(config), "--out", "out", "--skip-unsupported")
    assert result.code == 0
    assert sum(line.startswith("unsupported: ") for line in result.err.splitlines()) == 3
    assert (project.root / "out/suites/simple-test-1.yaml").is_file()
    assert project.cli("validate", "out/suites").code == 0


def test_existing_harness_yaml_is_kept(project: Project) -> None:
    before = (project.root / "harness.yaml").read_text()
    result = project.cli("import", "promptfoo", str(FIXTURES / "getting-started" / "promptfooconfig.yaml"),
                         "--out", ".")
    assert result.code == 0 and "harness.imported.yaml" in result.err
    assert (project.root / "harness.yaml").read_text() == before
    assert "openai-o4-mini" in (project.root / "harness.imported.yaml").read_text()


def test_imported_suite_runs_and_compares_end_to_end(project: Project) -> None:
    config = FIXTURES / "getting-started" / "promptfooconfig.yaml"
    assert project.cli("import", "promptfoo", str(config), "--out", ".").code == 0
    suite = "suites/getting-started-1.yaml"
    assert project.cli("validate", suite).code == 0
    project.replay({"case-1": "Bonjour le monde !", "case-2": "¿Dónde está la biblioteca?"}, "base.jsonl")
    project.replay({"case-1": "Salut monde", "case-2": "¿DÓNDE ESTÁ LA BIBLIOTECA?"}, "cand.jsonl")
    run = project.cli("run", suite, "--model", "replay:cand.jsonl", "--json", "run.json", "--no-store")
    cases = {c["id"]: c["passed"] for c in project.read_json("run.json")["suites"][0]["cases"]}
    assert cases == {"case-1": False, "case-2": True}  # contains is case-sensitive, icontains is not
    assert run.code in (0, 1)
    compared = project.cli("compare", suite, "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                           "--json", "cmp.json", "--no-store")
    report = project.read_json("cmp.json")
    assert {c["id"]: c["status"] for c in report["suites"][0]["cases"]} == {
        "case-1": "regression", "case-2": "stable_pass"}
    assert compared.code == (1 if report["verdict"] == "fail" else 0)

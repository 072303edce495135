"""harness.commands.changes: which suites and cases a change touches (no model involved)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.commands.changes import CheckPlan, plan_check
from harness.commands.gitfiles import changed_files, revision_files
from harness.errors import ConfigError
from harness.project.paths import ProjectFiles
from tests.gitproject import PROMPT_A, git, make_project, suite_doc, write_yaml


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def plan(repo: Path) -> CheckPlan:
    return plan_check(revision_files(repo, "HEAD"), ProjectFiles(repo), changed_files(repo, "HEAD"))


def runs(p: CheckPlan) -> dict[str, set[str]]:
    return {s.suite_id: s.run_ids for s in p.suites}


def test_nothing_changed(repo: Path) -> None:
    p = plan(repo)
    assert p.nothing_to_run and p.suites == ()
    assert "Nothing relevant changed" in p.summary()


def test_unrelated_file_changes_nothing(repo: Path) -> None:
    (repo / "README.md").write_text("docs\n")
    assert plan(repo).suites == ()


def test_prompt_change_selects_suites_using_it(repo: Path) -> None:
    write_yaml(repo, "prompts/a.yaml", {**PROMPT_A, "template": "Answer in one word: {{ question }}"})
    p = plan(repo)
    assert runs(p) == {"s1": {"c0", "c1"}, "s2": {"c0", "c1", "c2"}}
    assert all(c.reasons == ("input",) for s in p.suites for c in s.run)
    assert "prompt prompts/a.yaml modified" in p.suites[0].reasons


def test_version_label_only_runs_nothing(repo: Path) -> None:
    write_yaml(repo, "prompts/a.yaml", {**PROMPT_A, "version": "2"})
    p = plan(repo)
    assert {s.suite_id for s in p.suites} == {"s1", "s2"}
    assert p.nothing_to_run
    assert p.suites[0].unchanged == ("c0", "c1")


def test_prompt_params_change_is_a_change(repo: Path) -> None:
    write_yaml(repo, "prompts/a.yaml", {**PROMPT_A, "params": {"max_new_tokens": 5}})
    assert all(c.reasons == ("params",) for s in plan(repo).suites for c in s.run)


def test_one_case_changed(repo: Path) -> None:
    doc = suite_doc("s2", "prompts/a.yaml", 3)
    doc["cases"][1]["checks"] = [{"type": "contains", "value": "question"}]
    doc["cases"][2]["reference"] = "other"
    write_yaml(repo, "suites/s2.yaml", doc)
    (s2,) = plan(repo).suites
    assert {c.case_id: c.reasons for c in s2.run} == {"c1": ("checks",), "c2": ("reference",)}
    assert s2.unchanged == ("c0",)


def test_paraphrase_change_is_input(repo: Path) -> None:
    doc = suite_doc("s1", "prompts/a.yaml")
    doc["cases"][0]["paraphrases"] = [{"question": "again?"}]
    write_yaml(repo, "suites/s1.yaml", doc)
    (s1,) = plan(repo).suites
    assert [(c.case_id, c.reasons) for c in s1.run] == [("c0", ("input",))]


def test_added_and_removed_cases(repo: Path) -> None:
    doc = suite_doc("s3", "prompts/b.yaml", 2)
    doc["cases"] = doc["cases"][1:] + [{"id": "fresh", "vars": {"question": "q"}}]
    write_yaml(repo, "suites/s3.yaml", doc)
    (s3,) = plan(repo).suites
    assert [(c.case_id, c.reasons) for c in s3.run] == [("fresh", ("new",))]
    assert s3.removed == ("c0",) and s3.unchanged == ("c1",)
    assert s3.baseline_ids == set()


def test_new_suite_runs_all_cases_candidate_only(repo: Path) -> None:
    write_yaml(repo, "suites/s4.yaml", suite_doc("s4", "prompts/b.yaml"))
    (s4,) = plan(repo).suites
    assert s4.status == "new" and s4.base is None and s4.run_ids == {"c0", "c1"}


def test_deleted_suite_is_reported_not_run(repo: Path) -> None:
    (repo / "suites/s3.yaml").unlink()
    (s3,) = plan(repo).suites
    assert (s3.status, s3.suite_id, s3.run, s3.removed) == ("deleted", "s3", (), ("c0", "c1"))
    assert "deleted" in plan(repo).summary()


def test_renamed_suite_keeps_its_baseline(repo: Path) -> None:
    git(repo, "mv", "suites/s1.yaml", "suites/one.yaml")
    (s1,) = plan(repo).suites
    assert (s1.status, s1.path, s1.base_path) == ("changed", "suites/one.yaml", "suites/s1.yaml")
    assert s1.run == () and s1.unchanged == ("c0", "c1")


def test_prompt_moved_and_suites_updated(repo: Path) -> None:
    (repo / "prompts/b.yaml").rename(repo / "prompts/polite.yaml")
    write_yaml(repo, "suites/s3.yaml", suite_doc("s3", "prompts/polite.yaml"))
    (s3,) = plan(repo).suites
    assert s3.run == ()
    assert s3.unchanged == ("c0", "c1")
    assert any("renamed to prompts/polite.yaml" in r for r in s3.reasons)


def test_prompt_moved_but_suite_not_updated(repo: Path) -> None:
    (repo / "prompts/b.yaml").rename(repo / "prompts/polite.yaml")
    with pytest.raises(ConfigError, match="renamed it to prompts/polite.yaml") as err:
        plan(repo)
    assert err.value.file == "suites/s3.yaml" and err.value.field == "prompt"


def test_prompt_deleted_while_used(repo: Path) -> None:
    (repo / "prompts/b.yaml").unlink()
    with pytest.raises(ConfigError, match="deleted it"):
        plan(repo)


def test_unused_prompt_change_is_reported(repo: Path) -> None:
    write_yaml(repo, "prompts/spare.yaml", {"id": "spare", "version": "1", "template": "x"})
    p = plan(repo)
    assert p.suites == () and p.unused_prompts == ("prompts/spare.yaml",)


def test_data_file_change_selects_suite(repo: Path) -> None:
    (repo / "data").mkdir()
    (repo / "data/rows.jsonl").write_text('{"qid": "r1", "q": "one"}\n{"qid": "r2", "q": "two"}\n')
    write_yaml(repo, "suites/s3.yaml", {**suite_doc("s3", "prompts/b.yaml"),
                                       "cases_from": {"path": "data/rows.jsonl", "id": "qid",
                                                      "vars": {"question": "q"}}})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data")
    (repo / "data/rows.jsonl").write_text('{"qid": "r1", "q": "one"}\n{"qid": "r2", "q": "TWO"}\n')
    (s3,) = plan(repo).suites
    assert s3.run_ids == {"r2"} and "data file data/rows.jsonl modified" in s3.reasons


def test_base_version_broken_runs_as_new(repo: Path) -> None:
    (repo / "suites/s1.yaml").write_text("id: s1\ncases: [\n")
    git(repo, "commit", "-qam", "broken")
    write_yaml(repo, "suites/s1.yaml", suite_doc("s1", "prompts/a.yaml"))
    (s1,) = plan(repo).suites
    assert s1.status == "new" and "does not load" in s1.note


def test_plan_report_section_is_json(repo: Path) -> None:
    import json

    from harness.commands.check import BaseRevision, check_section
    write_yaml(repo, "prompts/b.yaml", {**yaml.safe_load((repo / "prompts/b.yaml").read_text()),
                                        "system": "Be terse."})
    section = check_section(BaseRevision("HEAD", "0" * 40, "given"), plan(repo), None)
    data = json.loads(section.model_dump_json())
    assert data["suites"][0]["run"][0] == {"id": "c0", "reasons": ["input"]}


def test_inline_template_change(repo: Path) -> None:
    doc = {**suite_doc("s4", "x"), "template": "Q: {{ question }}"}
    del doc["prompt"]
    write_yaml(repo, "suites/s4.yaml", doc)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "inline")
    write_yaml(repo, "suites/s4.yaml", {**doc, "template": "Question: {{ question }}"})
    (s4,) = plan(repo).suites
    assert s4.run_ids == {"c0", "c1"} and all(c.reasons == ("input",) for c in s4.run)

"""harness validate: every suite and prompt checked without a model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.project.validate import quick_rows, validate_project
from tests.gitproject import PROMPT_A, PROMPT_B, suite_doc, write_yaml


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    write_yaml(tmp_path, "prompts/a.yaml", PROMPT_A)
    write_yaml(tmp_path, "prompts/b.yaml", PROMPT_B)
    write_yaml(tmp_path, "suites/s1.yaml", suite_doc("s1", "prompts/a.yaml"))
    write_yaml(tmp_path, "suites/s3.yaml", suite_doc("s3", "prompts/b.yaml"))
    return tmp_path


def messages(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in report.problems]


def test_valid_project(project: Path) -> None:
    report = validate_project(project)
    assert report.ok and report.problems == ()
    assert set(report.files) == {"prompts/a.yaml", "prompts/b.yaml", "suites/s1.yaml", "suites/s3.yaml"}
    assert report.exit_code == 0


def test_unknown_check_type_names_file_line_field(project: Path) -> None:
    (project / "suites/s1.yaml").write_text(
        "id: s1\nprompt: prompts/a.yaml\ncases:\n  - id: x\n    vars: {question: q}\n"
        "    checks:\n      - {type: icontain, value: q}\n")
    report = validate_project(project)
    assert not report.ok and report.exit_code == 2
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.field) == ("suites/s1.yaml", 7, "cases[0].checks[0].type")
    assert "did you mean 'icontains'" in problem.message


def test_missing_template_variable(project: Path) -> None:
    doc = suite_doc("s1", "prompts/a.yaml")
    doc["cases"][1]["vars"] = {"qestion": "typo"}
    write_yaml(project, "suites/s1.yaml", doc)
    (problem,) = validate_project(project).errors
    assert "does not set template variable 'question'" in problem.message and problem.field == "vars"


def test_missing_prompt_file(project: Path) -> None:
    write_yaml(project, "suites/s1.yaml", suite_doc("s1", "prompts/nope.yaml"))
    (problem,) = validate_project(project).errors
    assert problem.file == "suites/s1.yaml" and "prompt file not found" in problem.message


def test_broken_prompt_reported_once(project: Path) -> None:
    (project / "prompts/a.yaml").write_text("id: a\nversion: '1'\ntemplate: '{{ question '\n")
    write_yaml(project, "suites/s2.yaml", suite_doc("s2", "prompts/a.yaml"))
    errors = validate_project(project).errors
    assert len(errors) == 1 and errors[0].file == "prompts/a.yaml"
    assert "template syntax error" in errors[0].message


def test_unused_prompt_is_checked_and_warned(project: Path) -> None:
    (project / "prompts/spare.yaml").write_text("id: s\nversion: '1'\ntemplate: x\nextra: 1\n")
    write_yaml(project, "prompts/ok_spare.yaml", {"id": "o", "version": "1", "template": "y"})
    report = validate_project(project)
    assert [(p.file, p.field) for p in report.errors] == [("prompts/spare.yaml", "extra")]
    assert any(p.file == "prompts/ok_spare.yaml" and p.severity == "warning" and "not used" in p.message
               for p in report.problems)


def test_reference_check_without_reference(project: Path) -> None:
    doc = suite_doc("s1", "prompts/a.yaml")
    del doc["cases"][0]["reference"]
    doc["cases"][0]["checks"] = [{"type": "rouge-l", "min": 0.3}]
    write_yaml(project, "suites/s1.yaml", doc)
    (problem,) = validate_project(project).errors
    assert "has no `reference`" in problem.message and problem.line == 4


def test_cases_from_missing_column(project: Path) -> None:
    (project / "data").mkdir()
    (project / "data/rows.jsonl").write_text('{"qid": 1, "q": "a", "ans": "x"}\n{"qid": 2, "q": "b"}\n')
    write_yaml(project, "suites/s1.yaml", {"id": "s1", "prompt": "prompts/a.yaml",
                                           "cases_from": {"path": "data/rows.jsonl", "id": "qid",
                                                          "vars": {"question": "question"}}})
    (problem,) = validate_project(project).errors
    assert "row 1 of data/rows.jsonl has no column 'question'" in problem.message
    assert problem.field == "cases_from"


def test_cases_from_csv_and_check_from_row(project: Path) -> None:
    (project / "data").mkdir()
    (project / "data/rows.csv").write_text("qid,q,want\n1,a,x\n2,b,y\n")
    write_yaml(project, "suites/s1.yaml", {"id": "s1", "prompt": "prompts/a.yaml",
                                           "cases_from": {"path": "data/rows.csv", "id": "qid",
                                                          "vars": {"question": "q"},
                                                          "checks": [{"type": "contains",
                                                                      "from": {"value": "wanted"}}]}})
    (problem,) = validate_project(project).errors
    assert "has no column 'wanted'" in problem.message


def test_missing_data_file(project: Path) -> None:
    write_yaml(project, "suites/s1.yaml", {"id": "s1", "prompt": "prompts/a.yaml",
                                           "cases_from": {"path": "data/none.jsonl", "vars": ["question"]}})
    (problem,) = validate_project(project).errors
    assert "data file not found" in problem.message


def test_quick_rows_match_datasets(tmp_path: Path) -> None:
    """The fast reader gives the same rows as the datasets-based loader for JSON Lines."""
    from harness.project.paths import _load_rows

    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n{"a": 2}\n')
    assert quick_rows(path, None) == _load_rows(path, None, tmp_path) == [
        {"a": 1, "b": "x"}, {"a": 2, "b": None}]


def test_explicit_paths_only(project: Path) -> None:
    (project / "suites/s3.yaml").write_text("not: [valid")
    report = validate_project(project, [project / "suites/s1.yaml"])
    assert report.files == ("suites/s1.yaml",) and report.ok


def test_explicit_missing_path(project: Path) -> None:
    report = validate_project(project, [project / "suites/gone.yaml"])
    assert not report.ok and report.errors[0].message == "file not found"


def test_yaml_error_and_duplicate_ids(project: Path) -> None:
    doc = suite_doc("s1", "prompts/a.yaml")
    doc["cases"][1]["id"] = "c0"
    write_yaml(project, "suites/s1.yaml", doc)
    (project / "suites/s3.yaml").write_text("id: s3\nid: again\n")
    found = {p.file: p.message for p in validate_project(project).errors}
    assert "duplicate case id 'c0'" in found["suites/s1.yaml"]
    assert "duplicate key 'id'" in found["suites/s3.yaml"]


def test_does_not_import_heavy_libraries(project: Path) -> None:
    code = ("import sys; from pathlib import Path; from harness.project.validate import validate_project; "
            f"r = validate_project(Path({str(project)!r})); assert r.ok, r.format(); "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'sentence_transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True)
    assert out.stdout.strip() == "[]"


def test_validate_command(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.project.validate import validate_command

    (project / "suites/s3.yaml").write_text("id: s3\nprompt: prompts/b.yaml\ncases: []\nextra: 1\n")
    assert validate_command([], start=project) == 2
    out = capsys.readouterr().out
    assert "suites/s3.yaml:4: error: field 'extra': unknown field 'extra'" in out
    assert out.strip().endswith("4 file(s) checked: 1 error(s), 0 warning(s)")
    assert validate_command([project / "suites/s1.yaml"], start=project) == 0


def test_duplicate_suite_ids_across_files(project: Path) -> None:
    write_yaml(project, "suites/s9.yaml", suite_doc("s1", "prompts/a.yaml"))
    (problem,) = validate_project(project).errors
    assert (problem.file, problem.field) == ("suites/s9.yaml", "id")
    assert "also used by suites/s1.yaml" in problem.message

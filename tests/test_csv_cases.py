"""CSV cases_from: values stay the strings in the file; ragged rows, empty ids and foreign errors
are clear errors naming the line (issue 16, items 10 and 14)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.project.suites import load_suite
from harness.project.validate import validate_project

SUITE = """id: s
template: "Q: {{ question }}"
cases_from: {path: x.csv, id: qid, vars: [question]}
"""


def _project(tmp_path: Path, csv_text: str | bytes, suite: str = SUITE) -> Path:
    (tmp_path / "harness.yaml").write_text("{}\n")
    (tmp_path / "suites").mkdir()
    path = tmp_path / "suites" / "s.yaml"
    path.write_text(suite.replace("x.csv", "suites/x.csv").replace("x.jsonl", "suites/x.jsonl"))
    data = tmp_path / "suites" / ("x.jsonl" if "x.jsonl" in suite else "x.csv")
    data.write_bytes(csv_text if isinstance(csv_text, bytes) else csv_text.encode())
    return path


def _both(tmp_path: Path, path: Path, match: str) -> None:
    """Loading for a run and `harness validate` give the same error."""
    with pytest.raises(ConfigError, match=match):
        load_suite(path)
    report = validate_project(tmp_path)
    assert report.exit_code == 2
    assert any(re.search(match, str(p)) for p in report.problems), report.problems


def test_values_and_ids_stay_the_strings_in_the_file(tmp_path: Path) -> None:
    path = _project(tmp_path, 'qid,question\n1,NA\n2.0,null\n007,\n"4","x, ""quoted"""\n')
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["1", "2.0", "007", "4"]
    assert [c.vars["question"] for c in suite.cases] == ["NA", "null", "", 'x, "quoted"']
    assert validate_project(tmp_path).ok


def test_ragged_rows_name_the_line(tmp_path: Path) -> None:
    path = _project(tmp_path, "qid,question\n1,a,extra,more\n2\n")
    _both(tmp_path, path, r"x.csv:2: (error: )?row has 4 field\(s\) but the header has 2")
    (tmp_path / "b").mkdir()
    path = _project(tmp_path / "b", "qid,question\n1,a\n\n2\n")
    _both(tmp_path / "b", path, r"x.csv:4: (error: )?row has 1 field\(s\)")


def test_empty_id_names_the_line(tmp_path: Path) -> None:
    path = _project(tmp_path, "qid,question\n,a\n2,b\n")
    _both(tmp_path, path, r"line 2 of suites/x.csv has an empty id \(column 'qid'\)")


def test_a_quoted_field_spanning_lines_counts_lines(tmp_path: Path) -> None:
    path = _project(tmp_path, 'qid,question\n1,"two\nlines"\n,b\n')
    _both(tmp_path, path, r"line 4 of suites/x.csv has an empty id")


def test_header_and_encoding_errors(tmp_path: Path) -> None:
    for n, (text, match) in enumerate([("", "x.csv:1: (error: )?the CSV file has no header row"),
                                       ("qid,qid\n1,2\n", "names column 'qid' twice"),
                                       (b"qid,question\n1,a\n2,\xff\n", r"x.csv:3: (error: )?invalid UTF-8")]):
        folder = tmp_path / str(n)
        folder.mkdir()
        _both(folder, _project(folder, text), match)


def test_foreign_errors_are_translated(tmp_path: Path) -> None:
    path = _project(tmp_path, "", suite=SUITE.replace("x.csv", "x.jsonl"))
    with pytest.raises(ConfigError) as caught:
        load_suite(path)
    assert "corresponds to no data" not in str(caught.value)
    assert "the file has no rows" in str(caught.value) and "s.yaml:3" in str(caught.value)

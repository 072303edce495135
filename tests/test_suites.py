"""Suites: validation errors with file:line:field, defaults, cases_from in every format, path safety."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from harness_project import Project, subprocess_env

from harness.errors import ConfigError, SecurityError
from harness.project.suites import load_suite

ROWS = [
    {"qid": "q1", "question": "What is 2+2?", "answer": "4", "tag": "critical", "limit": 5},
    {"qid": "q2", "question": "Capital of Peru?", "answer": "Lima", "tag": "geo", "limit": 50},
    {"qid": "q3", "question": "Largest ocean?", "answer": "Pacific", "tag": "geo", "limit": 50},
]


def write_data(project: Project) -> dict[str, str]:
    """The same rows as JSONL, CSV, Parquet and a saved `datasets` folder; returns format -> path."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = project.root / "data"
    data.mkdir(exist_ok=True)
    project.jsonl("data/rows.jsonl", ROWS)
    with open(data / "rows.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    pq.write_table(pa.Table.from_pylist(ROWS), data / "rows.parquet")
    datasets.disable_progress_bars()
    datasets.Dataset.from_list(ROWS).save_to_disk(str(data / "rows_ds"))
    return {"jsonl": "data/rows.jsonl", "csv": "data/rows.csv", "parquet": "data/rows.parquet",
            "datasets": "data/rows_ds"}


def from_suite(project: Project, name: str, path: str, extra: str = "") -> Path:
    return project.suite(name, f"""
        id: {name}
        template: "Q: {{{{ q }}}}"
        defaults:
          tags: [all]
          checks: [{{type: max-length, value: 500}}]
        cases_from:
          path: {path}
          id: qid
          vars: {{q: question}}
          reference: answer
          tags_field: tag
          checks:
            - {{type: contains, from: {{value: answer}}}}
            - {{type: max-length, from: {{value: limit}}}}
        {extra}
        """)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "datasets"])
def test_cases_from_every_format_with_mapping(project: Project, fmt: str) -> None:
    paths = write_data(project)
    suite = load_suite(from_suite(project, "s", paths[fmt]))
    assert [c.id for c in suite.cases] == ["q1", "q2", "q3"]
    q1 = suite.case("q1")
    assert q1.vars == {"q": "What is 2+2?"}
    assert q1.reference == "4"
    assert q1.tags == ("all", "critical")
    assert [(c.type, c.value) for c in q1.checks] == [
        ("max-length", 500), ("contains", "4"), ("max-length", 5)]


def test_cases_from_list_of_columns_and_limit(project: Project) -> None:
    project.jsonl("data/rows.jsonl", ROWS)
    project.suite("s", """
        id: s
        template: "{{ question }} ({{ tag }})"
        cases_from: {path: data/rows.jsonl, vars: [question, tag], limit: 2}
        """)
    suite = load_suite(project.root / "suites/s.yaml")
    assert [c.id for c in suite.cases] == ["0", "1"]  # no id column: the row number
    assert suite.cases[1].vars == {"question": "Capital of Peru?", "tag": "geo"}


def test_cases_from_relative_to_suite_folder(project: Project) -> None:
    """A data file or datasets folder next to the suite is found like one named from the root."""
    paths = write_data(project)
    (project.root / "suites").mkdir()
    os.rename(project.root / paths["datasets"], project.root / "suites" / "ds")
    project.jsonl("suites/near.jsonl", ROWS)
    assert [c.id for c in load_suite(from_suite(project, "a", "near.jsonl")).cases] == ["q1", "q2", "q3"]
    assert [c.id for c in load_suite(from_suite(project, "b", "ds")).cases] == ["q1", "q2", "q3"]


def test_numeric_csv_column_feeds_a_text_check(project: Project) -> None:
    """`from:` a column that the CSV reader typed as numbers still gives a text `value`."""
    project.write("data/num.csv", "qid,question,answer\n1,What is 2+2?,4\n2,What is 3+3?,6\n")
    project.suite("num", """
        id: num
        template: "Q: {{ q }}"
        cases_from: {path: data/num.csv, id: qid, vars: {q: question}, checks: [{type: equals, from: {value: answer}}]}
        """)
    suite = load_suite(project.root / "suites/num.yaml")
    assert [c.checks[0].value for c in suite.cases] == ["4", "6"]


def test_numeric_inline_check_value(project: Project) -> None:
    project.suite("n", "id: n\ntemplate: hi\ncases: [{id: a, checks: [{type: equals, value: 42}]}]\n")
    assert load_suite(project.root / "suites/n.yaml").cases[0].checks[0].value == "42"


def test_cases_from_missing_column_named(project: Project) -> None:
    project.jsonl("data/rows.jsonl", ROWS)
    project.suite("s", "id: s\ntemplate: '{{ q }}'\ncases_from: {path: data/rows.jsonl, vars: {q: prompt}}\n")
    result = project.cli("run", "suites/s.yaml", "--no-store")
    assert result.code == 2
    assert "suites/s.yaml:3: field 'cases_from': row 1 of data/rows.jsonl has no column 'prompt'" in result.text


def test_cases_from_missing_file_named(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: hi\ncases_from: {path: data/nope.jsonl}\n")
    result = project.cli("run", "suites/s.yaml", "--no-store")
    assert result.code == 2
    assert "field 'cases_from.path': data file not found: data/nope.jsonl" in result.text


def test_no_writes_to_home(project: Project, tmp_path: Path) -> None:
    """Reading every data format through `datasets` leaves $HOME untouched (subprocess, clean env)."""
    paths = write_data(project)
    for fmt, path in paths.items():
        from_suite(project, f"s_{fmt}", path)
    home = tmp_path / "home"
    home.mkdir()
    result = project.subprocess("run", "suites", "--no-store", "--json", "out.json",
                                env=subprocess_env(HOME=str(home)))
    assert result.code == 0, result.text
    assert [s["id"] for s in project.read_json("out.json")["suites"]] == [
        "s_csv", "s_datasets", "s_jsonl", "s_parquet"]
    assert list(home.rglob("*")) == []


# ---- defaults and params -----------------------------------------------------------------------


def test_defaults_merged_into_each_case(project: Project) -> None:
    project.suite("d", """
        id: d
        template: "{{ q }}"
        defaults:
          params: {max_new_tokens: 8, temperature: 0.5}
          tags: [smoke]
          checks: [{type: max-length, value: 100}]
        cases:
          - {id: a, vars: {q: x}, tags: [critical], checks: [{type: contains, value: x}]}
          - {id: b, vars: {q: y}, params: {temperature: 0.9}}
        """)
    suite = load_suite(project.root / "suites/d.yaml")
    a, b = suite.cases
    assert [c.type for c in a.checks] == ["max-length", "contains"]
    assert [c.type for c in b.checks] == ["max-length"]
    assert (a.tags, b.tags) == (("smoke", "critical"), ("smoke",))
    assert suite.params == {"max_new_tokens": 8, "temperature": 0.5}
    assert (a.params, b.params) == ({}, {"temperature": 0.9})


def test_case_params_reach_generation(project: Project) -> None:
    """A case's own `params` override the suite defaults (they were silently dropped before)."""
    from harness.generation.backends import ModelSpec
    from harness.generation.generate import build_requests

    project.suite("p", """
        id: p
        template: "{{ q }}"
        defaults: {params: {temperature: 0.5, max_new_tokens: 8}}
        cases:
          - {id: a, vars: {q: x}}
          - {id: b, vars: {q: y}, params: {temperature: 0.9}}
        """)
    suite = load_suite(project.root / "suites/p.yaml")
    requests = build_requests(suite, suite.cases, ModelSpec("fake", "echo"), samples=1, run_seed=0)
    assert [(r.case_id, r.params.temperature, r.params.max_new_tokens) for r in requests] == [
        ("a", 0.5, 8), ("b", 0.9, 8)]


def test_suite_hash_changes_with_cases(project: Project) -> None:
    path = project.suite("h", "id: h\ntemplate: '{{ q }}'\ncases: [{id: a, vars: {q: x}}]\n")
    first = load_suite(path).content_hash
    assert load_suite(path).content_hash == first
    project.suite("h", "id: h\ntemplate: '{{ q }}'\ncases: [{id: a, vars: {q: y}}]\n")
    assert load_suite(path).content_hash != first


# ---- errors through the CLI: message + exit code 2 ---------------------------------------------


def test_unknown_field_names_line_and_path(project: Project) -> None:
    project.suite("u", """
        id: u
        template: hi
        cases:
          - id: a
            vars: {}
            refrence: x
        """)
    result = project.cli("run", "suites/u.yaml", "--no-store")
    assert result.code == 2
    assert "suites/u.yaml:6: field 'cases[0].refrence': unknown field 'refrence'" in result.text


def test_unknown_field_in_check(project: Project) -> None:
    project.suite("u", "id: u\ntemplate: hi\ncases:\n  - id: a\n    checks:\n      - {type: contains, valu: x}\n")
    result = project.cli("run", "suites/u.yaml", "--no-store")
    assert result.code == 2
    assert "suites/u.yaml:6: field 'cases[0].checks[0].valu': unknown field 'valu'" in result.text


def test_duplicate_case_ids(project: Project) -> None:
    project.suite("d", "id: d\ntemplate: hi\ncases:\n  - id: a\n  - id: b\n  - id: a\n")
    result = project.cli("run", "suites/d.yaml", "--no-store")
    assert result.code == 2
    assert "suites/d.yaml:6: field 'id': duplicate case id 'a' (first at line 4)" in result.text


def test_duplicate_case_id_across_inline_and_cases_from(project: Project) -> None:
    project.jsonl("data/rows.jsonl", ROWS)
    project.suite("d", """
        id: d
        template: "{{ q }}"
        cases: [{id: q2, vars: {q: x}}]
        cases_from: {path: data/rows.jsonl, id: qid, vars: {q: question}}
        """)
    with pytest.raises(ConfigError, match="duplicate case id 'q2'"):
        load_suite(project.root / "suites/d.yaml")


def test_missing_template_variable_names_variable_and_case(project: Project) -> None:
    project.suite("m", "id: m\ntemplate: 'Hi {{ name }} from {{ town }}'\ncases:\n  - {id: c1, vars: {name: A}}\n")
    result = project.cli("run", "suites/m.yaml", "--no-store")
    assert result.code == 2
    assert "suites/m.yaml:4: field 'vars': case 'c1' does not set template variable 'town'" in result.text


def test_paraphrase_missing_variable(project: Project) -> None:
    project.suite("m", """
        id: m
        template: '{{ q }} {{ r }}'
        cases:
          - {id: c1, vars: {q: a, r: b}, paraphrases: [{q: c, s: d}]}
        """)
    with pytest.raises(ConfigError, match="case 'c1'"):
        load_suite(project.root / "suites/m.yaml")


def test_unknown_check_type_did_you_mean(project: Project) -> None:
    project.suite("t", "id: t\ntemplate: hi\ncases:\n  - id: a\n    checks: [{type: rouge_l, min: 0.2}]\n")
    result = project.cli("run", "suites/t.yaml", "--no-store")
    assert result.code == 2
    assert "suites/t.yaml:5: field 'cases[0].checks[0].type': unknown check type 'rouge_l'; " \
           "did you mean 'rouge-l'?" in result.text


def test_bad_check_value_names_field(project: Project) -> None:
    project.suite("r", "id: r\ntemplate: hi\ncases:\n  - id: a\n    checks: [{type: regex, value: '(unclosed'}]\n")
    result = project.cli("run", "suites/r.yaml", "--no-store")
    assert result.code == 2
    assert "field 'cases[0].checks[0].value'" in result.text and "invalid regular expression" in result.text


def test_no_cases(project: Project) -> None:
    project.suite("e", "id: e\ntemplate: hi\n")
    result = project.cli("run", "suites/e.yaml", "--no-store")
    assert result.code == 2 and "suite has no cases" in result.text


def test_prompt_and_template_both(project: Project) -> None:
    project.prompt("p", "id: p\nversion: v1\ntemplate: hi\n")
    project.suite("b", "id: b\nprompt: prompts/p.yaml\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/b.yaml", "--no-store")
    assert result.code == 2 and "not both" in result.text


def test_missing_prompt_file(project: Project) -> None:
    project.suite("b", "id: b\nprompt: prompts/nope.yaml\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/b.yaml", "--no-store")
    assert result.code == 2
    assert "suites/b.yaml:2: field 'prompt': prompt file not found: prompts/nope.yaml" in result.text


def test_same_suite_id_twice(project: Project) -> None:
    project.suite("one", "id: same\ntemplate: hi\ncases: [{id: a}]\n")
    project.suite("two", "id: same\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites", "--no-store")
    assert result.code == 2 and "suite id 'same' is also used by suites/one.yaml" in result.text


# ---- paths that escape the project root --------------------------------------------------------


def escape_suite(project: Project, path: str) -> Path:
    return project.suite("esc", f"id: esc\ntemplate: '{{{{ q }}}}'\ncases_from: {{path: '{path}', vars: [q]}}\n")


def test_dotdot_escape_refused(project: Project, tmp_path: Path) -> None:
    (tmp_path / "outside.jsonl").write_text('{"q": "secret"}\n')
    escape_suite(project, "../../outside.jsonl")  # suites/ -> proj/ -> tmp_path
    result = project.cli("run", "suites/esc.yaml", "--no-store")
    assert result.code == 2
    assert "suites/esc.yaml:3: field 'cases_from.path': path '../../outside.jsonl' escapes the project root" \
        in result.text


def test_absolute_path_refused(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text('{"q": "secret"}\n')
    escape_suite(project, str(outside))
    result = project.cli("run", "suites/esc.yaml", "--no-store")
    assert result.code == 2
    assert f"absolute path '{outside}' refused" in result.text


def test_symlink_escape_refused(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "rows.jsonl").write_text('{"q": "secret"}\n')
    (project.root / "data").mkdir()
    (project.root / "data" / "link").symlink_to(outside)
    escape_suite(project, "data/link/rows.jsonl")
    result = project.cli("run", "suites/esc.yaml", "--no-store")
    assert result.code == 2
    assert "path 'data/link/rows.jsonl' leads outside the project root through a symlink" in result.text


def test_symlinked_file_escape_refused(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "secret.jsonl"
    outside.write_text('{"q": "secret"}\n')
    (project.root / "data").mkdir()
    (project.root / "data" / "rows.jsonl").symlink_to(outside)
    with pytest.raises(SecurityError, match="through a symlink"):
        load_suite(escape_suite(project, "data/rows.jsonl"))


def test_prompt_path_escape_refused(project: Project, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("id: p\nversion: v1\ntemplate: hi\n")
    project.suite("esc", "id: esc\nprompt: ../../p.yaml\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/esc.yaml", "--no-store")
    assert result.code == 2 and "escapes the project root" in result.text


def test_inside_symlink_allowed(project: Project) -> None:
    project.jsonl("real/rows.jsonl", [{"q": "x"}])
    (project.root / "data").symlink_to(project.root / "real")
    assert [c.vars for c in load_suite(escape_suite(project, "data/rows.jsonl")).cases] == [{"q": "x"}]


def test_json_report_has_no_case_lost_on_reload(project: Project) -> None:
    """Round trip: every case of a cases_from file appears once in the run JSON."""
    project.jsonl("data/rows.jsonl", ROWS)
    project.suite("s", "id: s\ntemplate: '{{ q }}'\n"
                       "cases_from: {path: data/rows.jsonl, id: qid, vars: {q: question}}\n")
    result = project.cli("run", "suites/s.yaml", "--no-store", "--json", "out.json")
    assert result.code == 0, result.text
    cases = project.read_json("out.json")["suites"][0]["cases"]
    assert [(c["id"], c["outputs"]) for c in cases] == [(r["qid"], [r["question"]]) for r in ROWS]
    assert json.dumps(cases)  # serialisable


def test_cases_from_bad_check_value_names_row(project: Project) -> None:
    """Before: no row number, and pydantic's union tag leaked into the field ('value.str')."""
    project.jsonl("data/rows.jsonl", [{"q": "a", "ans": "x"}, {"q": "b", "ans": None}])
    project.suite("s", "id: s\ntemplate: '{{ q }}'\ncases_from: {path: data/rows.jsonl, vars: [q], "
                       "checks: [{type: contains, from: {value: ans}}]}\n")
    result = project.cli("run", "suites/s.yaml", "--no-store")
    assert result.code == 2
    assert "suites/s.yaml:3: field 'cases_from.checks[0].value': row 2 of data/rows.jsonl: " \
           "Input should be a valid string" in result.text


def data_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An importable package `harness_t_data` shipping rows.jsonl."""
    package = tmp_path / "site" / "harness_t_data"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


def test_cases_from_package_data(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_package(tmp_path, monkeypatch)
    suite = load_suite(from_suite(project, "s", "pkg://harness_t_data/rows.jsonl"))
    assert [c.id for c in suite.cases] == ["q1", "q2", "q3"]


@pytest.mark.parametrize("ref, message", [
    ("pkg://harness_t_data/../../../etc/passwd", "pkg:// path escapes package 'harness_t_data'"),
    ("pkg://harness_t_nothing/rows.jsonl", "package 'harness_t_nothing' is not installed"),
])
def test_package_data_errors_located(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     ref: str, message: str) -> None:
    """Before: the message had no file, line or field."""
    data_package(tmp_path, monkeypatch)
    escape_suite(project, ref)
    result = project.cli("run", "suites/esc.yaml", "--no-store")
    assert result.code == 2
    assert f"suites/esc.yaml:3: field 'cases_from.path': {message}" in result.text

"""promptfoo configs from promptfoo's own examples/ (tests/fixtures/promptfoo, MIT) convert
with the expected mapping and validate as ordinary suites."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.errors import ConfigError, SecurityError
from harness.importers.output import write_result
from harness.importers.promptfoo import import_promptfoo
from harness.importers.promptfoo_asserts import parse_expected
from harness.project.validate import validate_project

FIXTURES = Path(__file__).parent.parent / "fixtures" / "promptfoo"


def _convert(name: str, tmp_path: Path):
    result = import_promptfoo(FIXTURES / name / "promptfooconfig.yaml")
    write_result(result, tmp_path)
    suites = {rel: yaml.safe_load(text) for rel, text in result.files.items() if rel.startswith("suites/")}
    return result, suites


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_converts_and_validates(name: str, tmp_path: Path) -> None:
    result, suites = _convert(name, tmp_path)
    for text in result.files.values():
        assert text.startswith("# Imported from promptfoo config")
    report = validate_project(tmp_path)
    assert report.ok, report.format()
    assert suites or result.unsupported


def test_simple_test_mapping(tmp_path: Path) -> None:
    result, suites = _convert("simple-test", tmp_path)
    assert sorted(suites) == ["suites/simple-test-1.yaml", "suites/simple-test-2.yaml"]  # two prompts (---)
    suite = suites["suites/simple-test-1.yaml"]
    assert suite["template"] == "Rephrase this from English to Pirate: {{body}}"
    cases = {c["id"]: c["checks"] for c in suite["cases"]}
    assert cases["check-for-exact-match"] == [{"type": "equals", "value": "Yarr"}]
    assert cases["check-if-output-is-json"] == [{"type": "is-json"}]
    assert cases["check-for-semantic-similarity"] == [{"type": "similarity", "value": "Ahoy, world", "min": 0.75}]
    assert cases["use-llm-to-evaluate-output"] == [{"type": "icontains", "value": "arrr"}]  # $ref resolved
    reasons = sorted(u.reason.split("'")[1] for u in result.unsupported)
    assert reasons == ["javascript", "llm-rubric", "python"]
    assert result.files["harness.yaml"].count("backend: openai") == 1


def test_csv_expected_columns_and_default_test(tmp_path: Path) -> None:
    result, suites = _convert("csv-metadata", tmp_path)
    cases = suites["suites/csv-metadata.yaml"]["cases"]
    assert [c["checks"] for c in cases] == [[{"type": "contains", "value": v}]
                                           for v in ("algorithm", "quantum", "temperature")]
    assert all(u.path.startswith("tests.csv:") for u in result.unsupported)
    result, suites = _convert("eval-self-grading", tmp_path / "b")
    where = sorted(u.path for u in result.unsupported)
    assert where == ["defaultTest.assert.0.type", "defaultTest.assert.1.type"]  # listed once, not per test


def test_simple_csv_names_the_nunjucks_load_filter(tmp_path: Path) -> None:
    result, suites = _convert("simple-csv", tmp_path)
    assert list(suites) == ["suites/simple-csv.yaml"]  # the prompt with `| load` is not converted
    assert any("load" in u.reason for u in result.unsupported)
    assert [c["checks"][0]["value"] for c in suites["suites/simple-csv.yaml"]["cases"]] == [
        "bonjour", "faim", "Ahoy", "grub"]


@pytest.mark.parametrize("cell, expected", [
    ("icontains:bonjour", {"type": "icontains", "value": "bonjour"}),
    ("grade:Is polite", {"type": "llm-rubric", "value": "Is polite"}),
    ("similar(0.8):hello", {"type": "similar", "value": "hello", "threshold": 0.8}),
    ("not-contains:foo", {"type": "not-contains", "value": "foo"}),
    ("Paris", {"type": "equals", "value": "Paris"}),
    ("is-json", {"type": "is-json"}),
])
def test_csv_expected_cells(cell: str, expected: dict) -> None:
    assert parse_expected(cell) == expected


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cfg" / "promptfooconfig.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_not_prefix_weight_and_threshold(tmp_path: Path) -> None:
    path = _config(tmp_path, """
prompts: ['Say {{ x | upper }}{% if y %}!{% elseif z %}?{% endif %}']
defaultTest: {vars: {y: 1, z: 0}, assert: [{type: not-icontains, value: sorry}]}
tests:
  - vars: {x: hi, y: 0}
    threshold: 0.5
    assert:
      - {type: not-contains-any, value: [a, b], weight: 2}
      - {type: contains-all, value: [c, d]}
      - {type: not-regex, value: '\\d+'}
      - {type: rouge-n, value: hello, threshold: 0.4}
""")
    result = import_promptfoo(path)
    suite = yaml.safe_load(result.files["suites/cfg.yaml"])
    assert "{% elif z %}" in suite["template"]
    case = suite["cases"][0]
    assert case["vars"] == {"y": 0, "z": 0, "x": "hi"}
    assert case["checks"] == [
        {"type": "icontains", "value": "sorry", "negate": True},
        {"type": "not-contains", "value": ["a", "b"], "weight": 2},
        {"type": "contains", "value": "c"}, {"type": "contains", "value": "d"},
        {"type": "regex", "value": "\\d+", "negate": True},
        {"type": "rouge-1", "value": "hello", "min": 0.4}]
    assert case["threshold"] == 0.5
    write_result(result, tmp_path / "out")
    assert validate_project(tmp_path / "out").ok


def test_file_path_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    path = _config(tmp_path, "prompts: ['file://../secret.txt']\ntests: [{vars: {a: 1}}]\n")
    with pytest.raises(SecurityError, match="escapes"):
        import_promptfoo(path)


def test_python_and_js_files_are_not_run(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "boom.py").write_text("raise SystemExit('ran')\n")
    path = _config(tmp_path, "prompts: ['file://boom.py:f', 'hi {{a}}']\ntests: file://boom.py\n")
    result = import_promptfoo(path)
    assert len(result.unsupported) == 2


def test_malformed_yaml_and_csv_name_file_and_line(tmp_path: Path) -> None:
    path = _config(tmp_path, "prompts: [a\ntests: {\n")
    with pytest.raises(ConfigError) as err:
        import_promptfoo(path)
    assert err.value.file == str(path) and err.value.line is not None
    path = _config(tmp_path, "prompts: ['q {{a}}']\ntests: file://t.csv\n")
    (path.parent / "t.csv").write_text('a,__expected\n1,x\n2,"unterminated\n')
    with pytest.raises(ConfigError) as err:
        import_promptfoo(path)
    assert err.value.file.endswith("t.csv") and err.value.line == 3


def test_levenshtein_threshold_becomes_max() -> None:
    from harness.importers.promptfoo_asserts import AssertUnsupported, convert_assert

    assert convert_assert({"type": "levenshtein", "value": "hi {{x}}", "threshold": 2}, {"x": "bob"})[0] == [
        {"type": "levenshtein", "value": "hi bob", "max": 2}]
    assert convert_assert({"type": "levenshtein", "value": "a"}, {})[0] == [
        {"type": "levenshtein", "value": "a", "max": 5}]
    assert convert_assert({"type": "not-levenshtein", "value": "a", "threshold": 2.5}, {})[0] == [
        {"type": "levenshtein", "value": "a", "max": 2, "negate": True}]  # distance <= 2.5 means <= 2
    with pytest.raises(AssertUnsupported, match="transform"):
        convert_assert({"type": "contains", "value": "a", "transform": "output.x"}, {})

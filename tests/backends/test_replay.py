"""replay:FILE — recorded outputs; a missing case names it."""

from __future__ import annotations

import pytest
from harness_project import Project

from harness.errors import ConfigError
from harness.generation.backends.replay import parse_replay


def test_parse_keys_suite_variant_sample() -> None:
    text = ('{"case": "a", "output": "x"}\n\n'
            '{"case": 7, "sample": 1, "output": "y", "suite": "s2"}\n'
            '{"case": "a", "variant": "paraphrase-1", "output": "z"}\n')
    assert parse_replay(text, "r.jsonl") == {
        (None, "a", "main", 0): "x", ("s2", "7", "main", 1): "y", (None, "a", "paraphrase-1", 0): "z"}


@pytest.mark.parametrize("line, message", [
    ('{"case": "a", "output": ', r"r.jsonl:2:\d+: invalid JSON"),
    ('["a", "b"]', "r.jsonl:2: each line must be a JSON object"),
    ('{"case": "a"}', "r.jsonl:2: field 'output': missing required field 'output'"),
    ('{"case": "a", "output": 3}', "r.jsonl:2: field 'output': 'output' must be a string"),
    ('{"case": "a", "output": "x", "sample": -1}', "r.jsonl:2: field 'sample'"),
])
def test_parse_errors_name_line(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_replay('{"case": "ok", "output": "fine"}\n' + line + "\n", "r.jsonl")


def test_missing_case_named_via_cli(capitals: Project) -> None:
    capitals.replay({"france": "Paris", "spain": "Madrid"})  # no peru
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store")
    assert result.code == 2
    assert "replay file has no output for case 'peru' of suite 'capitals', sample 0" in result.text
    assert "replay.jsonl" in result.text


def test_missing_sample_named(capitals: Project) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--samples", "2",
                          "--no-store")
    assert result.code == 2
    assert "no output for case 'france' of suite 'capitals', sample 1" in result.text


def test_missing_replay_file(capitals: Project) -> None:
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:nope.jsonl", "--no-store")
    assert result.code == 2 and "nope.jsonl: cannot read replay file" in result.text


def test_suite_scoped_lines_win(capitals: Project) -> None:
    capitals.jsonl("multi.jsonl", [
        {"case": "france", "output": "generic"},
        {"suite": "capitals", "case": "france", "output": "Paris"},
        {"suite": "other", "case": "france", "output": "wrong suite"},
        {"case": "spain", "output": "Madrid"}, {"case": "peru", "output": "Lima"}])
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:multi.jsonl", "--no-store",
                          "--json", "out.json")
    assert result.code == 0, result.text
    outputs = {c["id"]: c["outputs"] for c in capitals.read_json("out.json")["suites"][0]["cases"]}
    assert outputs == {"france": ["Paris"], "spain": ["Madrid"], "peru": ["Lima"]}


def test_edited_replay_file_is_read_again(capitals: Project) -> None:
    """Replays are not cached: a changed file changes the result."""
    first = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store",
                         "--json", "a.json")
    capitals.replay({"france": "Paris", "spain": "Madrid", "peru": "Lima"})
    second = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store",
                          "--json", "b.json")
    assert (first.code, second.code) == (0, 0)
    assert capitals.read_json("a.json")["suites"][0]["pass_rate"] == pytest.approx(2 / 3)
    assert capitals.read_json("b.json")["suites"][0]["pass_rate"] == 1.0
    fp_a = capitals.read_json("a.json")["suites"][0]["model_fingerprint"]
    fp_b = capitals.read_json("b.json")["suites"][0]["model_fingerprint"]
    assert fp_a["sha256"] != fp_b["sha256"]


def test_paraphrase_answers_optional(project: Project) -> None:
    project.suite("p", """
        id: p
        template: "{{ q }}"
        cases:
          - {id: a, vars: {q: x}, paraphrases: [{q: y}], checks: [{type: contains, value: ok}]}
        """)
    project.jsonl("r.jsonl", [{"case": "a", "output": "ok"}])
    result = project.cli("run", "suites/p.yaml", "--model", "replay:r.jsonl", "--no-store", "--json", "o.json")
    assert result.code == 0, result.text
    assert project.read_json("o.json")["suites"][0]["cases"][0]["paraphrases"] == []
    project.jsonl("r.jsonl", [{"case": "a", "output": "ok"}, {"case": "a", "variant": "paraphrase-1", "output": "ok!"}])
    result = project.cli("run", "suites/p.yaml", "--model", "replay:r.jsonl", "--no-store", "--json", "o.json")
    assert project.read_json("o.json")["suites"][0]["cases"][0]["paraphrases"] == [
        {"outputs": ["ok!"], "pass_rate": 1.0}]

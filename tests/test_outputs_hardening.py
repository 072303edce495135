"""Outputs and replay files never corrupt silently (issue 16, items 9 and 11)."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from harness_project import Project

from harness.errors import ConfigError
from harness.generation.backends.replay import decode_lines, parse_replay, parse_replay_lines
from harness.generation.sanitize import clean_generation, clean_text
from harness.types import Generation


def _runs(project: Project) -> list[tuple[str, str]]:
    path = project.root / ".harness" / "history.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT suite_id, status FROM runs").fetchall()


def test_a_lone_surrogate_is_stored_visibly_and_the_run_completes(capitals: Project) -> None:
    capitals.write("replay.jsonl", '{"case": "france", "output": "Paris \\ud800!"}\n'
                                   '{"case": "spain", "output": "Madrid"}\n{"case": "peru", "output": "Lima"}\n')
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--json", "r.json")
    assert result.code == 0, result.text
    assert _runs(capitals) == [("capitals", "complete")]
    with sqlite3.connect(capitals.root / ".harness" / "history.db") as db:
        stored = db.execute("SELECT output FROM results WHERE case_id = 'france'").fetchone()[0]
    assert stored == "Paris \ufffd!"
    report = capitals.read_json("r.json")
    assert "Paris \ufffd!" in str(report)


def test_clean_text_and_generation() -> None:
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert clean_text("ok \U0001F600") == "ok \U0001F600"
    cleaned = clean_generation(Generation(output="\ud83d x"))
    assert cleaned.output == "\ufffd x" and cleaned.meta == {"replaced_surrogates": 1}
    cleaned.output.encode("utf-8")


@pytest.mark.parametrize("text, message", [
    ('{"case": "a", "output": "x"}\n{"case": "a", "output": "y"}\n',
     "r.jsonl:2: duplicate output for case 'a', sample 0: line 1 already gave one"),
    ('{"case": "a", "output": "x", "sample": true}\n', "r.jsonl:1: field 'sample': 'sample' must be a non-negative"),
    ('{"case": true, "output": "x"}\n', "r.jsonl:1: field 'case'"),
    ('{"case": "a", "output": "x", "variant": 2}\n', "r.jsonl:1: field 'variant'"),
])
def test_replay_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_replay(text, "r.jsonl")


def test_invalid_utf8_names_the_line() -> None:
    data = b'{"case": "a", "output": "x"}\n{"case": "b", "output": "\xff\xfe"}\n'
    with pytest.raises(ConfigError, match="r.jsonl:2: invalid UTF-8 at byte 26"):
        decode_lines(data, "r.jsonl")


def test_unknown_fields_warn_with_the_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        second = '{"case": "b", "ouptut": "x", "output": "y", "model": "m"}'
        records, lines = parse_replay_lines(['{"case": "a", "output": "x"}', second], "r.jsonl")
    assert lines[(None, "b", "main", 0)] == 2 and len(records) == 2
    assert "r.jsonl:2: unknown field(s) 'model', 'ouptut' ignored" in caplog.text


def test_extra_cases_warn(capitals: Project, caplog: pytest.LogCaptureFixture) -> None:
    capitals.replay({"france": "Paris", "spain": "Madrid", "peru": "Lima", "atlantis": "Poseidonia"})
    with caplog.at_level(logging.WARNING):
        result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl", "--no-store")
    assert result.code == 0, result.text
    assert "1 line(s) answer cases the suite does not have: line 4 (case 'atlantis')" in caplog.text


@pytest.mark.parametrize("content", [
    b'{"case": "france", "output": "Paris"}\n{"case": "france", "output": "Lyon"}\n',
    b'{"case": "france", "output": "\xff"}\n',
    b'{"case": "france", "output": "Paris"}\n',   # spain and peru missing
])
def test_a_bad_replay_file_leaves_no_incomplete_run(capitals: Project, content: bytes) -> None:
    (capitals.root / "replay.jsonl").write_bytes(content)
    result = capitals.cli("run", "suites/capitals.yaml", "--model", "replay:replay.jsonl")
    assert result.code == 2 and "replay.jsonl" in result.text
    assert _runs(capitals) == []

"""Safe YAML loading: locations, duplicate keys, tags, alias bombs, size limit.

Each rejection is checked twice: the exception from ``load_yaml_text`` and the
message plus exit code 2 through ``harness run``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.errors import ConfigError, SecurityError
from harness.project.yamlfile import MAX_FILE_BYTES, load_yaml, load_yaml_text

BILLION_LAUGHS = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_records_line_of_every_value() -> None:
    doc = load_yaml_text("id: x\ncases:\n  - id: a\n    vars: {q: 1}\n", "s.yaml")
    assert doc.data == {"id": "x", "cases": [{"id": "a", "vars": {"q": 1}}]}
    assert doc.line_of(("cases", 0, "vars")) == 4
    assert doc.line_of(("cases", 0, "vars", "q", "deeper")) == 4  # deepest known prefix


def test_empty_document_is_none() -> None:
    assert load_yaml_text("", "e.yaml").data is None


def test_malformed_yaml_names_file_line_column() -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml_text("id: x\ncases:\n  - {id: a, vars: [1, 2}\n", "s.yaml")
    assert (info.value.file, info.value.line) == ("s.yaml", 3)
    assert info.value.column is not None
    assert str(info.value).startswith(f"s.yaml:3:{info.value.column}: invalid YAML")


def test_duplicate_key_rejected() -> None:
    with pytest.raises(ConfigError, match=r"s.yaml:3:3: field 'id': duplicate key 'id'"):
        load_yaml_text("cases:\n- id: a\n  id: b\n", "s.yaml")


def test_nested_duplicate_key_rejected() -> None:
    with pytest.raises(ConfigError, match="duplicate key 'q'"):
        load_yaml_text("vars:\n  q: 1\n  q: 2\n", "s.yaml")


def test_python_tag_rejected_and_not_executed(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    text = f'id: !!python/object/apply:os.system ["touch {canary}"]\n'
    with pytest.raises(SecurityError, match=r"s.yaml:1:5: YAML tag not allowed"):
        load_yaml_text(text, "s.yaml")
    assert not canary.exists()


def test_merge_keys_work_and_own_keys_override() -> None:
    """`<<: *anchor` is standard YAML; it must not trip the duplicate-key check."""
    doc = load_yaml_text("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n", "s.yaml")
    assert doc.data["use"] == {"x": 1, "y": 3}


def test_shared_aliases_are_fine() -> None:
    doc = load_yaml_text("a: &a [1, 2]\nb: [*a, *a]\n", "s.yaml")
    assert doc.data["b"] == [[1, 2], [1, 2]]


def test_alias_bomb_rejected_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(SecurityError, match="alias bomb"):
        load_yaml_text(BILLION_LAUGHS, "bomb.yaml")
    assert time.perf_counter() - start < 1.0


def test_recursive_alias_rejected_quickly() -> None:
    """A self-referencing alias once sent the expansion check into an endless loop."""
    start = time.perf_counter()
    with pytest.raises(SecurityError, match="refers to itself"):
        load_yaml_text("a: &a [1, *a]\n", "loop.yaml")
    assert time.perf_counter() - start < 1.0


def test_deep_nesting_is_a_config_error() -> None:
    """Before: RecursionError from the composer (after seconds in the scanner), a traceback and exit 3."""
    with pytest.raises(SecurityError, match=r"deep.yaml:1:\d+: YAML nests deeper than 100 levels"):
        load_yaml_text("v: " + "[" * 1000 + "]" * 1000 + "\n", "deep.yaml")
    block = "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "end\n"
    with pytest.raises(SecurityError, match="nests deeper"):
        load_yaml_text(block, "deep.yaml")


def test_oversized_file_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ConfigError, match="over the .* byte limit"):
        load_yaml(big, display="big.yaml")


# ---- the same through `harness run`: message and exit code 2 ----------------------------------


def test_cli_malformed_yaml(project) -> None:
    project.suite("bad", "id: x\ncases:\n  - id: a\n    vars: {q: [1, 2}\n")
    result = project.cli("run", "suites/bad.yaml", "--no-store")
    assert result.code == 2
    assert "suites/bad.yaml:4:20: invalid YAML" in result.text


def test_cli_duplicate_key(project) -> None:
    project.suite("dup", "id: x\nid: y\ntemplate: hi\ncases: [{id: a}]\n")
    result = project.cli("run", "suites/dup.yaml", "--no-store")
    assert result.code == 2
    assert "suites/dup.yaml:2:1: field 'id': duplicate key 'id'" in result.text


def test_cli_python_tag(project, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    project.suite("tag", f'id: !!python/object/apply:os.system ["touch {canary}"]\n')
    result = project.cli("run", "suites/tag.yaml", "--no-store")
    assert result.code == 2
    assert "suites/tag.yaml:1:5: YAML tag not allowed" in result.text
    assert not canary.exists()


def test_cli_alias_bomb(project) -> None:
    project.suite("bomb", BILLION_LAUGHS)
    start = time.perf_counter()
    result = project.cli("run", "suites/bomb.yaml", "--no-store")
    assert time.perf_counter() - start < 1.0
    assert result.code == 2
    assert "suites/bomb.yaml:" in result.text and "alias bomb" in result.text


def test_cli_oversized_suite(project) -> None:
    (project.root / "suites").mkdir()
    (project.root / "suites" / "big.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    result = project.cli("run", "suites/big.yaml", "--no-store")
    assert result.code == 2
    assert f"suites/big.yaml: file is {MAX_FILE_BYTES + 1} bytes, over the {MAX_FILE_BYTES} byte limit" \
        in result.text


def test_cli_oversized_harness_yaml(project) -> None:
    project.suite("ok", "id: ok\ntemplate: hi\ncases: [{id: a}]\n")
    (project.root / "harness.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    result = project.cli("run", "suites/ok.yaml", "--no-store")
    assert result.code == 2
    assert "harness.yaml: file is" in result.text and "byte limit" in result.text


def test_a_large_plain_suite_is_not_an_alias_bomb() -> None:
    """30,000 inline cases without one alias (refused before, issue 16): only alias expansion counts.

    benchmarks/bench_large_suites.py loads 100,000 (inline and JSONL) and prints time and memory."""
    text = "id: big\ntemplate: '{{ q }}'\ncases:\n" + "".join(
        f"  - {{id: c{i}, vars: {{q: 'question {i}'}}}}\n" for i in range(30_000))
    doc = load_yaml_text(text, "big.yaml")
    assert len(doc.data["cases"]) == 30_000
    assert doc.line_of(("cases", 29_999)) == 30_003


def test_alias_expansion_is_what_counts() -> None:
    """Aliases adding more than MAX_ALIAS_EXPANSION nodes are refused, whatever the file's size."""
    from harness.project.yamlfile import MAX_ALIAS_EXPANSION

    anchor = "base: &b [" + ", ".join(str(i) for i in range(1000)) + "]\n"
    uses = (MAX_ALIAS_EXPANSION // 1000) + 2
    bomb = anchor + "uses:\n" + "".join("  - *b\n" for _ in range(uses))
    with pytest.raises(SecurityError, match="alias bomb"):
        load_yaml_text(bomb, "wide.yaml")
    fine = anchor + "uses:\n" + "".join("  - *b\n" for _ in range(uses // 2))
    assert len(load_yaml_text(fine, "ok.yaml").data["uses"]) == uses // 2

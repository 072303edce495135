"""Every generate_until task shipped in the installed lm_eval converts and validates, or is
reported with a reason; nothing from the task files is executed."""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError, UsageError
from harness.importers.lm_eval import import_lm_eval
from harness.importers.lm_eval_tasks import read_task_yaml, tasks_root
from harness.importers.output import write_result
from harness.project.validate import validate_project

pytest.importorskip("lm_eval")


def _generate_until_files() -> list[Path]:
    """Files that declare ``output_type: generate_until`` themselves (fast: read as text)."""
    root = tasks_root()
    return sorted(p for p in root.rglob("*.yaml") if "output_type: generate_until" in p.read_text(errors="replace"))


def _generate_until_tasks() -> tuple[list[Path], int]:
    """Task files whose merged config (``include:`` chain applied) is ``generate_until``, and how
    many of them declare it themselves. Files that do not parse are left to lm-eval."""
    root = tasks_root()
    tasks, direct = [], 0
    for path in sorted(root.rglob("*.yaml")):
        try:
            data = read_task_yaml(path, root)
        except HarnessError:
            continue
        if isinstance(data.get("task"), str) and data.get("output_type") == "generate_until":
            tasks.append(path)
            direct += "output_type: generate_until" in path.read_text(errors="replace")
    return tasks, direct


def test_every_generate_until_task_converts_or_is_reported(tmp_path: Path) -> None:
    files, direct = _generate_until_tasks()
    assert direct >= 100 and len(files) > 3 * direct  # most get generate_until through `include:`
    converted, reasons = 0, collections.Counter()
    out = tmp_path / "project"
    for path in files:
        result = import_lm_eval(str(path))
        assert result.files or result.unsupported, path
        for item in result.unsupported:
            assert item.reason and item.file
            reasons[item.reason.split(";")[0][:60]] += 1
        if result.files:
            write_result(result, out)
            converted += 1
    report = validate_project(out)
    assert report.ok, report.format()
    print(f"\n{len(files)} generate_until tasks ({direct} declare it themselves); converted {converted};"
          f" reported {sum(reasons.values())}", file=sys.stderr)
    for reason, n in reasons.most_common():
        print(f"  {n:4d} {reason}", file=sys.stderr)
    assert converted + sum(reasons.values()) == len(files)
    assert converted >= 1000  # see docs/import.md for the counts with lm_eval 0.4.13


def test_function_tags_are_never_imported() -> None:
    before = {m for m in sys.modules if m.startswith("lm_eval")}
    import_lm_eval("gsm8k")
    import_lm_eval(str(next(p for p in _generate_until_files() if "!function" in p.read_text())))
    assert {m for m in sys.modules if m.startswith("lm_eval")} == before


def test_unknown_task_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown lm-eval task"):
        import_lm_eval("no_such_task_xyz")


def test_remove_whitespace_filter_and_unstripped_exact_match() -> None:
    result = import_lm_eval("triviaqa")
    suite = next(yaml.safe_load(t) for rel, t in result.files.items() if rel.startswith("suites/"))
    [check] = suite["cases_from"]["checks"]
    assert check["extract"] == {"regex": "(?s).*"}  # remove_whitespace: the whole output, stripped
    assert check["strip"] is False and check["ignore_case"] is True


def test_a_list_of_includes_merges_in_order(tmp_path: Path) -> None:
    (tmp_path / "a_yaml").write_text("output_type: generate_until\ndoc_to_text: A\ntest_split: test\n"
                                     "task_list: [x]\n")
    (tmp_path / "b_yaml").write_text("doc_to_text: B\ndoc_to_target: t\n")
    (tmp_path / "task.yaml").write_text("include: [a_yaml, b_yaml]\ntask: t1\ntest_split: own\n")
    data = read_task_yaml(tmp_path / "task.yaml", tmp_path)
    assert data == {"output_type": "generate_until", "doc_to_text": "B", "doc_to_target": "t",
                    "test_split": "own", "task": "t1"}  # later include wins, own keys win, no task_list

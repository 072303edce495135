"""`harness promote`, `harness gate` and `harness history --alias` end to end.

The continuous-training simulation watches a folder of four checkpoints (three of recorded
outputs, one a real tiny model saved with save_pretrained) and checks the promotions, the
lineage, the restart without re-gating, and that a half-written checkpoint is never gated.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from harness_project import Project

N = 40
CONFIG = """
default_model: fake:echo
suites: [suites]
policy:
  critical_regressions: 0
  max_pass_rate_drop: 0.05
  max_regressions: null
"""
SUITE_HEAD = """
id: s
template: "Q: {{ q }}"
defaults:
  params: {max_new_tokens: 4}
cases:
"""


def _setup(project: Project) -> None:
    project.write("harness.yaml", CONFIG)
    lines = [f"  - {{id: c{i:02d}, vars: {{q: c{i:02d}}}, checks: [{{type: contains, value: ok}}]}}"
             for i in range(N)]
    project.suite("s", SUITE_HEAD + "\n".join(lines) + "\n")


def _outputs(project: Project, rel: str, passing: int) -> Path:
    return project.replay({f"c{i:02d}": "ok" if i < passing else "no" for i in range(N)}, rel)


def _checkpoint(project: Project, name: str, passing: int, ready: bool = True) -> Path:
    _outputs(project, f"ckpts/{name}/outputs.jsonl", passing)
    if ready:
        (project.root / "ckpts" / name / "harness.ready").write_text("", encoding="utf-8")
    return project.root / "ckpts" / name


def _history(project: Project) -> dict:
    result = project.cli("history", "--alias", "production", "--json")
    assert result.code == 0, result.text
    return json.loads(result.out)


def test_gate_promotes_on_pass_rejects_on_fail_and_records_lineage(project: Project) -> None:
    _setup(project)
    _outputs(project, "base.jsonl", 20)
    _outputs(project, "good.jsonl", 40)
    _outputs(project, "bad.jsonl", 5)
    assert project.cli("promote", "replay:base.jsonl", "--alias", "production", "--reason", "first").code == 0
    failed = project.cli("gate", "--alias", "production", "-c", "replay:bad.jsonl", "--promote")
    assert failed.code == 1 and "rejected" in failed.text
    passed = project.cli("gate", "--alias", "production", "-c", "replay:good.jsonl", "--json", "g.json")
    assert passed.code == 0 and "add --promote" in passed.text
    promoted = project.cli("gate", "--alias", "production", "-c", "replay:good.jsonl", "--promote",
                           "--reason", "better")
    assert promoted.code == 0 and "promoted" in promoted.text
    lineage = _history(project)
    assert lineage["model_spec"] == "replay:good.jsonl" and lineage["generation"] == 2
    events = [(e["kind"], e["model_spec"], e["verdict"]) for e in lineage["events"]]
    assert events == [("promotion", "replay:base.jsonl", None), ("rejection", "replay:bad.jsonl", "fail"),
                      ("promotion", "replay:good.jsonl", "pass")]
    assert all(e["comparison_id"] for e in lineage["events"][1:])
    assert project.read_json("g.json")["verdict"] == "pass"
    text = project.cli("history", "--alias", "@production").out
    assert "rejection replay:bad.jsonl vs replay:base.jsonl fail comparison" in " ".join(text.split())
    # @alias works wherever a model spec does
    run = project.cli("run", "suites/s.yaml", "-m", "@production", "--json", "run.json", "--no-store")
    assert run.code == 0 and project.read_json("run.json")["suites"][0]["pass_rate"] == 1.0


def test_bad_input_unknown_alias_and_same_fingerprint(project: Project) -> None:
    _setup(project)
    _outputs(project, "base.jsonl", 20)
    unknown = project.cli("gate", "--alias", "production", "-c", "replay:base.jsonl")
    assert unknown.code == 2 and "unknown alias 'production'" in unknown.text
    project.cli("promote", "replay:base.jsonl", "--alias", "staging")
    unknown = project.cli("gate", "--alias", "prod", "-c", "replay:base.jsonl")
    assert unknown.code == 2 and "known aliases: staging" in unknown.text
    assert project.cli("history", "--alias", "nope").code == 2
    assert project.cli("run", "suites/s.yaml", "-m", "@nope", "--no-store").code == 2
    same = project.cli("gate", "--alias", "staging", "-c", "replay:base.jsonl", "--promote")
    assert same.code == 0 and "same fingerprint" in same.text
    assert [e["kind"] for e in json.loads(project.cli("history", "--alias", "staging", "--json").out)["events"]] \
        == ["promotion"]


def test_inconclusive_moves_the_alias_only_when_the_policy_says_so(project: Project) -> None:
    _setup(project)
    _outputs(project, "base.jsonl", 40)
    _outputs(project, "close.jsonl", 38)
    project.cli("promote", "replay:base.jsonl", "--alias", "production")
    kept = project.cli("gate", "--alias", "production", "-c", "replay:close.jsonl", "--promote",
                       "--json", "r.json")
    assert project.read_json("r.json")["verdict"] == "inconclusive"
    assert kept.code == 0 and "rejected" in kept.text
    project.write("harness.yaml", CONFIG + "  promote_on_inconclusive: true\n")
    moved = project.cli("gate", "--alias", "production", "-c", "replay:close.jsonl", "--promote")
    assert moved.code == 0 and "promoted" in moved.text
    assert [(e["kind"], e["verdict"]) for e in _history(project)["events"]] == [
        ("promotion", None), ("rejection", "inconclusive"), ("promotion", "inconclusive")]


def test_a_gate_whose_champion_moved_meanwhile_loses_and_is_told(project: Project) -> None:
    from harness.analysis.gate import DEFAULT_POLICY
    from harness.commands.gate import GateOptions, _decide
    from harness.store import Store
    from harness.store.aliases import Aliases

    _setup(project)
    _outputs(project, "base.jsonl", 20)
    project.cli("promote", "replay:base.jsonl", "--alias", "production")
    with Store(f"sqlite:///{project.root}/.harness/history.db") as store:
        aliases = Aliases(store)
        seen = aliases.require("production")           # what a slow gate compared against
        _outputs(project, "other.jsonl", 30)
        assert project.cli("promote", "replay:other.jsonl", "--alias", "production").code == 0
        decision = _decide(aliases, seen, "replay:good.jsonl", {"sha256": "x"}, "cmp1", "pass",
                           DEFAULT_POLICY, GateOptions(alias="production", promote=True))
        assert decision.outcome == "lost" and decision.exit_code == 4
        assert aliases.get("production").model_spec == "replay:other.jsonl"  # type: ignore[union-attr]


def test_continuous_training_simulation_with_four_checkpoints(project: Project) -> None:
    from tests.support.tiny_models import build_tiny_llama

    _setup(project)
    _outputs(project, "base.jsonl", 20)
    project.cli("promote", "replay:base.jsonl", "--alias", "production", "--reason", "launch")
    _checkpoint(project, "ckpt-1", 40)          # better: promoted
    _checkpoint(project, "ckpt-2", 10)          # much worse: rejected (fail)
    _checkpoint(project, "ckpt-10", 38)         # a little worse, cannot tell: rejected (inconclusive)
    tiny = build_tiny_llama(project.root / "ckpts" / "ckpt-3")  # a real model that answers noise: fail
    (tiny / "harness.ready").write_text("", encoding="utf-8")
    mlflow_uri = f"sqlite:///{project.root}/mlflow.db"
    watch = ("gate", "--alias", "production", "--watch", "ckpts", "--once", "--promote", "--mlflow", mlflow_uri,
             "--settle", "0.2")
    assert project.cli(*watch).code == 0
    events = _history(project)["events"]
    names = [(e["kind"], Path(e["model_spec"].split(":", 1)[1]).parts[-2 if "outputs" in e["model_spec"] else -1],
              e["verdict"]) for e in events[1:]]
    assert names == [("promotion", "ckpt-1", "pass"), ("rejection", "ckpt-2", "fail"),
                     ("rejection", "ckpt-3", "fail"), ("rejection", "ckpt-10", "inconclusive")]
    assert events[3]["model_spec"].startswith("hf:")
    assert _history(project)["model_spec"].endswith("ckpt-1/outputs.jsonl")
    comparisons = _comparison_count(project)
    # a restart gates nothing twice; a half-written checkpoint waits
    half = _checkpoint(project, "ckpt-11", 39, ready=False)
    os.utime(half / "outputs.jsonl", (time.time(), time.time()))
    again = project.cli(*watch[:-1], "30")
    assert again.code == 0 and "waiting for" in again.text and _comparison_count(project) == comparisons
    (half / "COMPLETE").write_text("", encoding="utf-8")
    assert project.cli(*watch).code == 0
    assert _comparison_count(project) == comparisons + 1
    last = _history(project)["events"][-1]
    assert last["model_spec"].endswith("ckpt-11/outputs.jsonl") and last["kind"] == "rejection"
    _check_dashboard(project)
    _check_mlflow(mlflow_uri, [e["comparison_id"] for e in _history(project)["events"][1:]])


def _check_dashboard(project: Project) -> None:
    from starlette.testclient import TestClient

    from harness.dashboard import create_app

    with TestClient(create_app(f"sqlite:///{project.root}/.harness/history.db"),
                    base_url="http://127.0.0.1:8765") as client:
        html = client.get("/alias/production").text
    assert html.count('class="event-row" data-kind="rejection"') == 4
    assert html.count('class="champion-row"') == 2 and "ckpt-1/outputs.jsonl" in html


def _check_mlflow(uri: str, comparison_ids: list[str]) -> None:
    import mlflow

    client = mlflow.MlflowClient(uri, uri)
    experiment = client.get_experiment_by_name("harness")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`harness.kind` = 'comparison'")
    by_comparison = {r.data.tags["harness.comparison_id"]: r for r in runs}
    assert sorted(by_comparison) == sorted(comparison_ids)
    promoted = [r for r in runs if r.data.tags["harness.outcome"] == "promoted"]
    assert len(promoted) == 1 and promoted[0].data.metrics["verdict_code"] == 0
    assert promoted[0].data.metrics["s.candidate_pass_rate"] == 1.0
    assert promoted[0].data.metrics["s.pass_rate_delta"] == 0.5
    assert [a.path for a in client.list_artifacts(promoted[0].info.run_id)] == ["report.html"]
    nested = client.search_runs([experiment.experiment_id], filter_string="tags.`harness.kind` = 'run'")
    assert len(nested) == 2 * len(comparison_ids)
    version = client.get_model_version_by_alias("harness-production", "production")
    assert version.tags["harness.model_spec"].endswith("ckpt-1/outputs.jsonl")


def _comparison_count(project: Project) -> int:
    from harness.store import Store

    with Store(f"sqlite:///{project.root}/.harness/history.db") as store:
        return len(store.comparisons(limit=1000))


@pytest.mark.parametrize("names, expected", [(["ckpt-10", "ckpt-2", "ckpt-1"], ["ckpt-1", "ckpt-2", "ckpt-10"]),
                                             (["b", "a10", "a9"], ["a9", "a10", "b"])])
def test_checkpoints_are_taken_in_natural_order(tmp_path: Path, names: list[str], expected: list[str]) -> None:
    from harness.commands.watch import checkpoints

    for name in names:
        (tmp_path / name).mkdir()
    (tmp_path / ".hidden").mkdir()
    assert [p.name for p in checkpoints(tmp_path)] == expected


def test_an_unmarked_checkpoint_is_ready_only_once_stable(tmp_path: Path) -> None:
    from harness.commands.watch import is_ready

    folder = tmp_path / "ckpt"
    folder.mkdir()
    assert not is_ready(folder, 0.1)                      # empty
    (folder / "model.safetensors").write_bytes(b"x" * 10)
    assert not is_ready(folder, 30)                       # just written
    old = time.time() - 60
    os.utime(folder / "model.safetensors", (old, old))
    assert is_ready(folder, 30)
    (folder / "more.bin").write_bytes(b"y")
    assert not is_ready(folder, 30)
    (folder / "harness.ready").write_text("")
    assert is_ready(folder, 30)

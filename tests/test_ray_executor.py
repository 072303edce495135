"""The ray executor on a local 2-CPU Ray cluster gives the same results as the local executor."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from harness.errors import UsageError
from harness.generation.backends.base import ModelSpec
from harness.generation.cache import GenerationCache
from harness.generation.executors import LocalExecutor, make_executor
from harness.generation.generate import GenerateOptions, derive_seed, generate
from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt
from tests.support import ray_backends  # noqa: F401 - registers test-pid

ray = pytest.importorskip("ray")
from harness.generation.executors.ray import RayExecutor, chunk_bounds

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executor() -> Iterator[RayExecutor]:
    yield RayExecutor(workers=2)
    ray.shutdown()


def requests(n: int = 24, temperature: float = 0.8) -> list[GenerationRequest]:
    out = []
    for i in range(n):
        prompt = RenderedPrompt(messages=(Message("user", f"question {i}"),), text=f"question {i}")
        case = "boom" if i == 13 else f"c{i}"
        out.append(GenerationRequest(case_id=case, sample=i % 3, prompt=prompt,
                                     params=GenParams(temperature=temperature), seed=derive_seed(7, case, i % 3)))
    return out


def by_index(pairs) -> dict[int, tuple[str, int | None, str | None]]:
    return {i: (g.output, g.new_tokens, g.error) for i, g in pairs}


def test_workers_import_this_checkout_and_never_shadow_the_standard_library():
    """PYTHONPATH names the folder holding ``harness/``, not ``harness/`` itself (whose types.py shadows stdlib)."""
    from pathlib import Path

    from harness.generation.executors.ray import local_runtime_env

    paths = local_runtime_env()["env_vars"]["PYTHONPATH"].split(os.pathsep)
    assert (Path(paths[0]) / "harness" / "__init__.py").is_file()
    assert not any((Path(p) / "types.py").exists() for p in paths)


def test_chunks_cover_every_request_once():
    assert [list(c) for c in chunk_bounds(10, 2)] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert sum(len(c) for c in chunk_bounds(1000, 3)) == 1000 and max(len(c) for c in chunk_bounds(1000, 3)) == 64


def test_fake_backend_results_match_local(executor):
    spec, reqs = ModelSpec(backend="fake", target="seeded"), requests()
    local = by_index(LocalExecutor().run(spec, reqs))
    distributed = by_index(executor.run(spec, reqs))
    assert distributed == local and len(local) == len(reqs)
    assert len({out for out, _, _ in local.values()}) == len(reqs)


def test_work_is_spread_over_two_actors_that_build_the_backend_once(executor):
    results = dict(executor.run(ModelSpec(backend="test-pid", target="echo"), requests()))
    pids = {g.meta["pid"] for g in results.values()}
    assert len(pids) == 2 and all(g.meta["built"] == 1 for g in results.values())
    assert set(executor.last_run) == {"0", "1"} and sum(executor.last_run.values()) == len(chunk_bounds(24, 2))


def test_a_failing_chunk_becomes_errors_and_the_rest_completes(executor):
    results = dict(executor.run(ModelSpec(backend="test-pid", target="crash"), requests()))
    failed = {i for i, g in results.items() if g.error}
    assert len(results) == 24 and 13 in failed and len(failed) == len(chunk_bounds(24, 2)[0])
    assert all("model exploded on case boom" in results[i].error and results[i].output == "" for i in failed)


def test_a_dead_worker_fails_its_chunks_and_the_other_finishes_the_rest(executor):
    reqs = requests()
    expected = by_index(LocalExecutor().run(ModelSpec(backend="test-pid", target="echo"), reqs))
    results = by_index(executor.run(ModelSpec(backend="test-pid", target="die"), reqs))
    failed = {i for i, (_, _, err) in results.items() if err}
    assert len(results) == 24 and 13 in failed
    assert len(failed) <= 2 * len(chunk_bounds(24, 2)[0])  # at most the two chunks it held
    assert all(results[i] == expected[i] for i in results if i not in failed)


def test_generate_through_ray_uses_the_same_cache_keys(executor, tmp_path):
    spec, reqs = ModelSpec(backend="fake", target="seeded"), requests(12)
    local_cache, ray_cache = GenerationCache(tmp_path / "local"), GenerationCache(tmp_path / "ray")
    local = generate(reqs, spec, local_cache, GenerateOptions(progress=False))
    on_ray = generate(reqs, spec, ray_cache, GenerateOptions(progress=False, executor="ray", workers=2))
    assert [g.output for g in on_ray.generations] == [g.output for g in local.generations]
    assert on_ray.generated == 12
    rerun = generate(reqs, spec, local_cache, GenerateOptions(progress=False, executor="ray", workers=2))
    assert rerun.cached == 12 and rerun.generated == 0  # keys written locally are found by a ray run


def test_make_executor_names():
    assert isinstance(make_executor("local", None, None), LocalExecutor)
    made = make_executor("ray", "ray://head:10001", 3)
    assert isinstance(made, RayExecutor) and (made.address, made.workers) == ("ray://head:10001", 3)
    with pytest.raises(UsageError, match="did you mean|use one of"):
        make_executor("dask", None, None)


def test_hf_backend_on_a_tiny_model_matches_local(executor, tmp_path):
    """Each actor loads a real (tiny) checkpoint; greedy outputs equal the in-process run."""
    import importlib.util

    if importlib.util.find_spec("harness.generation.backends.hf") is None:
        pytest.skip("the hf backend is not in this tree yet")
    from tests.support.tiny_models import build_tiny_chat_model

    model = build_tiny_chat_model(tmp_path / "tiny")
    spec = ModelSpec(backend="hf", target=str(model), options={"device": "cpu"})
    reqs = requests(8, temperature=0.0)
    local = by_index(LocalExecutor().run(spec, reqs))
    assert by_index(executor.run(spec, reqs)) == local
    assert all(err is None for _, _, err in local.values()) and len({o for o, _, _ in local.values()}) > 1

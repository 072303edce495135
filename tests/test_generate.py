"""Requests, seeds and params; generate() with cache and a failing backend; greedy K>1 warning."""

from __future__ import annotations

import logging

import pytest
from harness_project import Project

from harness.generation.backends import ModelSpec
from harness.generation.cache import GenerationCache
from harness.generation.generate import GenerateOptions, build_requests, derive_seed, generate, merge_params
from harness.pipeline import RunOptions, run_suite
from harness.project.config import load_project_config
from harness.project.suites import load_suite

FAKE = ModelSpec("fake", "echo")


def test_derive_seed_is_stable_and_distinguishes_inputs() -> None:
    seed = derive_seed(0, "france", 0)
    assert derive_seed(0, "france", 0) == seed and 0 <= seed < 2**32
    others = {derive_seed(1, "france", 0), derive_seed(0, "spain", 0), derive_seed(0, "france", 1),
              derive_seed(0, "france", 0, "paraphrase-1")}
    assert seed not in others and len(others) == 4


def test_seeds_independent_of_order_and_subset(capitals: Project) -> None:
    suite = load_suite(capitals.root / "suites/capitals.yaml")
    full = {(r.case_id, r.sample): r.seed for r in build_requests(suite, suite.cases, FAKE, 3, run_seed=5)}
    reordered = build_requests(suite, list(reversed(suite.cases)), FAKE, 3, run_seed=5)
    subset = build_requests(suite, [suite.case("peru")], FAKE, 3, run_seed=5)
    assert all(full[(r.case_id, r.sample)] == r.seed for r in reordered + subset)


def test_k_samples_per_case(capitals: Project) -> None:
    suite = load_suite(capitals.root / "suites/capitals.yaml")
    requests = build_requests(suite, suite.cases, FAKE, samples=4, run_seed=0)
    assert len(requests) == 12
    assert [(r.case_id, r.sample) for r in requests[:4]] == [("france", i) for i in range(4)]
    assert len({r.seed for r in requests}) == 12
    assert requests[0].prompt.text == "Answer in one word.\n\nQ: What is the capital of France?"
    assert requests[0].params.max_new_tokens == 16 and requests[0].suite_id == "capitals"


def test_paraphrase_requests(project: Project) -> None:
    project.suite("p", "id: p\ntemplate: '{{ q }}'\ncases: [{id: a, vars: {q: x}, paraphrases: [{q: y}, {q: z}]}]\n")
    suite = load_suite(project.root / "suites/p.yaml")
    requests = build_requests(suite, suite.cases, FAKE, samples=2, run_seed=0)
    assert [(r.variant, r.sample, r.prompt.text) for r in requests] == [
        ("main", 0, "x"), ("main", 1, "x"), ("paraphrase-1", 0, "y"), ("paraphrase-1", 1, "y"),
        ("paraphrase-2", 0, "z"), ("paraphrase-2", 1, "z")]
    assert len(build_requests(suite, suite.cases, FAKE, samples=2, run_seed=0, paraphrases=False)) == 2


def test_case_seed_param_overrides_run_seed(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: hi\ncases: [{id: a, params: {seed: 42}}, {id: b}]\n")
    suite = load_suite(project.root / "suites/s.yaml")
    a, b = build_requests(suite, suite.cases, FAKE, samples=1, run_seed=7)
    assert a.seed == derive_seed(42, "a", 0) and b.seed == derive_seed(7, "b", 0)


def test_merge_params_later_layers_win() -> None:
    params = merge_params({"temperature": 0.1, "max_new_tokens": 10}, {"temperature": 0.2},
                          {"top_p": 0.9, "stop": ["\n"]}, {"temperature": 0.3, "unknown": 1, "top_k": None})
    assert (params.temperature, params.max_new_tokens, params.top_p, params.stop, params.top_k) == (
        0.3, 10, 0.9, ("\n",), 0)


def test_generate_serves_cache_and_generates_misses(capitals: Project) -> None:
    from harness.generation.backends.fake import FakeBackend

    suite = load_suite(capitals.root / "suites/capitals.yaml")
    requests = build_requests(suite, suite.cases, FAKE, samples=1, run_seed=0)
    cache = GenerationCache(capitals.root / "c")
    options = GenerateOptions(progress=False)
    first = generate(requests[:1], FAKE, cache, options)
    before = FakeBackend.generated
    second = generate(requests, FAKE, cache, options)
    assert (first.generated, first.cached) == (1, 0)
    assert (second.generated, second.cached, second.failure) == (2, 1, None)
    assert FakeBackend.generated == before + 2
    assert [g.cached for g in second.generations] == [True, False, False]
    assert second.generations[0].output == "Q: What is the capital of France?"


def run_capitals(project: Project, samples: int, temperature: float | None = None) -> None:
    if temperature is not None:
        path = project.root / "suites/capitals.yaml"
        path.write_text(path.read_text().replace("{max_new_tokens: 16}", f"{{temperature: {temperature}}}"))
    suite = load_suite(project.root / "suites/capitals.yaml")
    run_suite(suite, ModelSpec("fake", "seeded"), load_project_config(), RunOptions(samples=samples, progress=False))


def test_greedy_samples_are_generated_once_and_reused(capitals: Project) -> None:
    from harness.generation.backends.fake import FakeBackend

    suite = load_suite(capitals.root / "suites/capitals.yaml")
    requests = build_requests(suite, suite.cases, ModelSpec("fake", "seeded"), samples=3, run_seed=0)
    before = FakeBackend.generated
    outcome = generate(requests, ModelSpec("fake", "seeded"), None, GenerateOptions(progress=False))
    assert FakeBackend.generated - before == len(suite.cases)  # one generation per case, not three
    assert outcome.generated == len(suite.cases)
    by_case: dict[str, list] = {}
    for request, generation in zip(requests, outcome.generations):
        by_case.setdefault(request.case_id, []).append(generation)
    for generations in by_case.values():
        assert len({g.output for g in generations}) == 1
        assert "copy_of_sample" not in generations[0].meta
        assert all(g.meta["copy_of_sample"] == 0 for g in generations[1:])


def test_sampled_requests_are_all_generated(capitals: Project) -> None:
    from harness.generation.backends.fake import FakeBackend

    run_capitals(capitals, samples=1, temperature=0.8)
    suite = load_suite(capitals.root / "suites/capitals.yaml")
    requests = build_requests(suite, suite.cases, ModelSpec("fake", "seeded"), samples=3, run_seed=0)
    before = FakeBackend.generated
    outcome = generate(requests, ModelSpec("fake", "seeded"), None, GenerateOptions(progress=False))
    assert FakeBackend.generated - before == len(requests)
    assert not any("copy_of_sample" in g.meta for g in outcome.generations)


@pytest.mark.parametrize("samples, temperature", [(1, None), (3, 0.8), (3, None)])
def test_no_warning_logged(capitals: Project, caplog: pytest.LogCaptureFixture, samples: int,
                           temperature: float | None) -> None:
    with caplog.at_level(logging.WARNING, logger="harness"):
        run_capitals(capitals, samples=samples, temperature=temperature)
    assert not caplog.records


def test_sampled_outputs_reproducible(capitals: Project) -> None:
    """fake:seeded draws from the per-sample seed: the same run twice gives the same K outputs."""
    path = capitals.root / "suites/capitals.yaml"
    path.write_text(path.read_text().replace("{max_new_tokens: 16}", "{temperature: 0.8}"))
    first = capitals.cli("run", "suites/capitals.yaml", "-m", "fake:seeded", "-k", "6", "--no-cache",
                         "--no-store", "--json", "a.json")
    second = capitals.cli("run", "suites/capitals.yaml", "-m", "fake:seeded", "-k", "6", "--no-cache",
                          "--no-store", "--json", "b.json")
    assert (first.code, second.code) == (0, 0)
    a, b = (capitals.read_json(f)["suites"][0]["cases"] for f in ("a.json", "b.json"))
    assert [c["outputs"] for c in a] == [c["outputs"] for c in b]
    assert all(len(c["outputs"]) == 6 and len(set(c["outputs"])) > 1 for c in a)


def test_run_suite_on_selected_cases(capitals: Project) -> None:
    suite = load_suite(capitals.root / "suites/capitals.yaml")
    result = run_suite(suite, FAKE, load_project_config(), RunOptions(progress=False), case_ids={"peru"})
    assert [c.case_id for c in result.cases] == ["peru"]
    assert result.cases[0].outputs == ["Q: What is the capital of Peru?"]
    assert result.info.prompt_version == "v1" and result.info.model_fingerprint == {"backend": "fake", "mode": "echo"}

"""Verdict truth under sampling (issue 13).

The simulations draw K samples per case and side for a suite decoded at temperature 0.8 and put
them through the same code ``harness compare`` uses after generation and scoring
(``compare_runs``, then the gate with the default policy), in memory: A/A draws use the same pass
probability on both sides; planted draws make a few critical cases drop from 0.95 to 0.05. A CLI
test checks, on recorded outputs, that ``harness compare`` reaches the same case statuses and
verdict as that in-memory path, so the simulated rate is the CLI's.
"""

from __future__ import annotations

import math

import numpy as np
from harness_project import Project

from harness.analysis.compare import compare_runs
from harness.analysis.gate import evaluate
from harness.analysis.policy import DEFAULT_POLICY
from harness.types import CaseResult, RunInfo, RunResult, SampleResult, Score

ALPHA = 0.05
N_CASES, N_CRITICAL, K = 100, 30, 5


def _suite(project: Project, n: int, critical: int, temperature: float = 0.8) -> list[str]:
    ids = [f"c{i:03d}" for i in range(n)]
    lines = [f"  - {{id: {cid}, vars: {{q: {cid}}}, tags: [{'critical' if i < critical else 'other'}]}}"
             for i, cid in enumerate(ids)]
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\n"
                       f"defaults:\n  params: {{temperature: {temperature}}}\n"
                       "  checks: [{type: contains, value: ok}]\ncases:\n" + "\n".join(lines) + "\n")
    return ids


def _run(passes: np.ndarray, critical: int) -> RunResult:
    """A scored sampled run: ``passes[i, j]`` says whether sample j of case i contains "ok"."""
    info = RunInfo(suite_id="s", suite_hash="h", prompt_hash="p", prompt_version="1", model_spec="replay",
                   model_fingerprint={}, params={"temperature": 0.8}, seed=0, samples=passes.shape[1],
                   versions={}, host={}, started_at="2026-01-01T00:00:00")
    cases = tuple(
        CaseResult(case_id=f"c{i:03d}", tags=("critical" if i < critical else "other",), sampled=True,
                   samples=tuple(SampleResult(sample=j, output="ok" if ok else "no", passed=bool(ok),
                                              scores=(Score("contains", "contains", bool(ok)),))
                                 for j, ok in enumerate(row)))
        for i, row in enumerate(passes))
    return RunResult(info=info, cases=cases)


def _same_length(old: list[str], new: list[str]) -> list[float]:
    return [1.0 if a == b else 0.0 for a, b in zip(old, new)]


def _verdict(base: np.ndarray, cand: np.ndarray, critical: int = N_CRITICAL) -> tuple[str, list[str]]:
    """The gate's verdict and the case statuses for one draw, through compare_runs and the gate."""
    comparison = compare_runs(_run(base, critical), _run(cand, critical), alpha=ALPHA, similarity=_same_length)
    return evaluate(DEFAULT_POLICY, [comparison]).verdict, [c.status.value for c in comparison.cases]


def _draw(rng: np.random.Generator, base: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rng.random((len(base), K)) < base[:, None], rng.random((len(cand), K)) < cand[:, None]


def test_aa_with_flaky_cases_fails_at_most_alpha() -> None:
    """K = 5 here; the K sweep (1, 2, 5, 10) of the rules runs in tests/analysis/test_evidence.py."""
    rng = np.random.default_rng(1005)
    rates = rng.uniform(0.15, 0.85, N_CASES)
    draws = 300
    fails = sum(_verdict(*_draw(rng, rates, rates))[0] == "fail" for _ in range(draws))
    assert fails / draws <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / draws), f"{fails} false FAILs in {draws}"


def test_planted_critical_regression_fails_nearly_always() -> None:
    rng = np.random.default_rng(7)
    rates = rng.uniform(0.15, 0.85, N_CASES)
    base, cand = rates.copy(), rates.copy()
    base[:5], cand[:5] = 0.95, 0.05
    draws = 200
    fails = sum(_verdict(*_draw(rng, base, cand))[0] == "fail" for _ in range(draws))
    assert fails / draws >= 0.95


def test_the_cli_reaches_the_in_memory_verdict_on_recorded_outputs(project: Project) -> None:
    """The simulation's path is the CLI's: same statuses and verdict, A/A and planted draws alike."""
    rng = np.random.default_rng(11)
    ids = _suite(project, N_CASES, critical=N_CRITICAL)
    rates = rng.uniform(0.15, 0.85, N_CASES)
    planted = rates.copy()
    planted[:5] = 0.05
    seen = set()
    for cand_rates in (rates, rates, planted):
        base, cand = _draw(rng, np.where(cand_rates < rates, 0.95, rates), cand_rates)
        for name, passes in (("base.jsonl", base), ("cand.jsonl", cand)):
            project.replay({cid: ["ok" if p else "no" for p in row] for cid, row in zip(ids, passes)}, name)
        result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                             "--samples", str(K), "--no-store", "--no-cache", "--json", "out.json")
        report = project.read_json("out.json")
        verdict, statuses = _verdict(base, cand)
        assert report["verdict"] == verdict and result.code == (1 if verdict == "fail" else 0), result.text
        assert [c["status"] for c in report["suites"][0]["cases"]] == statuses
        seen.add(verdict)
    assert "fail" in seen   # the planted draw


def test_greedy_k1_flip_on_a_critical_case_still_fails(project: Project) -> None:
    ids = _suite(project, 10, critical=1, temperature=0.0)
    project.replay({cid: "ok" for cid in ids}, "base.jsonl")
    project.replay({cid: ("no" if cid == ids[0] else "ok") for cid in ids}, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", "--json", "out.json")
    report = project.read_json("out.json")
    case = next(c for c in report["suites"][0]["cases"] if c["id"] == ids[0])
    assert case["status"] == "regression" and case["sampled"] is False
    assert report["verdict"] == "fail" and result.code == 1
    assert any("critical" in r for r in report["reasons"])


def test_small_suite_one_regression_is_inconclusive_and_demonstrated_drop_fails(project: Project) -> None:
    ids = _suite(project, 7, critical=0, temperature=0.0)
    project.replay({cid: "ok" for cid in ids}, "base.jsonl")
    project.replay({cid: ("no" if cid == ids[0] else "ok") for cid in ids}, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", "--json", "out.json")
    suite = project.read_json("out.json")["suites"][0]
    assert result.code == 0 and suite["verdict"] == "inconclusive"
    decision = suite["decision"]
    assert decision["result"] == "inconclusive" and decision["cases_needed"] > 7
    assert "cases at K = 1" in decision["text"] and "inconclusive" in result.text.lower()
    project.replay({cid: ("ok" if cid == ids[0] else "no") for cid in ids}, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", "--json", "out.json")
    suite = project.read_json("out.json")["suites"][0]
    assert result.code == 1 and suite["verdict"] == "fail" and suite["decision"]["result"] == "fail"


def test_policy_can_make_inconclusive_fail(project: Project) -> None:
    ids = _suite(project, 7, critical=0, temperature=0.0)
    project.replay({cid: "ok" for cid in ids}, "base.jsonl")
    project.replay({cid: ("no" if cid == ids[0] else "ok") for cid in ids}, "cand.jsonl")
    project.write("strict.yaml", "inconclusive: fail\n")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", "--policy", "strict.yaml")
    assert result.code == 1
    project.write("bad.yaml", "max_regressions: 1\ninconclusive: maybe\n")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--no-store", "--policy", "bad.yaml")
    assert result.code == 2 and "bad.yaml:2" in result.text and "inconclusive" in result.text


def test_groups_form_clusters(project: Project) -> None:
    lines = [f"  - {{id: c{i}, vars: {{q: c{i}}}, group: g{i // 4}}}" for i in range(12)]
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\ndefaults:\n  checks: [{type: contains, value: ok}]\n"
                       "cases:\n" + "\n".join(lines) + "\n")
    project.replay({f"c{i}": "ok" for i in range(12)}, "base.jsonl")
    project.replay({f"c{i}": ("no" if i < 4 else "ok") for i in range(12)}, "cand.jsonl")
    project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                "--no-store", "--json", "out.json")
    suite = project.read_json("out.json")["suites"][0]
    assert suite["stats"]["clusters"] == 3
    assert {c["cluster"] for c in suite["cases"]} == {"g0", "g1", "g2"}
    lo, hi = suite["stats"]["ci95"]
    assert hi - lo > 2 * 0.30   # three clusters: a wide interval, not the 12-case one
    assert math.isclose(suite["stats"]["pass_rate_delta"], -1 / 3, abs_tol=1e-6)

"""Verdict truth under sampling, through the CLI on recorded outputs (issue 13).

Each draw writes two replay files (baseline and candidate, K samples per case) for one suite
decoded at temperature 0.8 and runs ``harness compare`` in this process. A/A draws use the same
pass probability on both sides; planted draws make a few critical cases drop from 0.95 to 0.05.
"""

from __future__ import annotations

import math

import numpy as np
from harness_project import Project

ALPHA = 0.05


def _suite(project: Project, n: int, critical: int, temperature: float = 0.8) -> list[str]:
    ids = [f"c{i:03d}" for i in range(n)]
    lines = [f"  - {{id: {cid}, vars: {{q: {cid}}}, tags: [{'critical' if i < critical else 'other'}]}}"
             for i, cid in enumerate(ids)]
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\n"
                       f"defaults:\n  params: {{temperature: {temperature}}}\n"
                       "  checks: [{type: contains, value: ok}]\ncases:\n" + "\n".join(lines) + "\n")
    return ids


def _replay(project: Project, name: str, ids: list[str], rates: np.ndarray, k: int,
            rng: np.random.Generator) -> None:
    passes = rng.random((len(ids), k)) < rates[:, None]
    project.replay({cid: ["ok" if p else "no" for p in row] for cid, row in zip(ids, passes)}, name)


def _draw(project: Project, ids: list[str], base: np.ndarray, cand: np.ndarray, k: int,
          rng: np.random.Generator) -> str:
    _replay(project, "base.jsonl", ids, base, k, rng)
    _replay(project, "cand.jsonl", ids, cand, k, rng)
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--samples", str(k), "--no-store", "--no-cache", "--json", "out.json")
    report = project.read_json("out.json")
    assert result.code == (1 if report["verdict"] == "fail" else 0), result.text
    return report["verdict"]


def test_aa_with_flaky_cases_fails_at_most_alpha(project: Project) -> None:
    """End to end through the CLI at K = 5; the K sweep (1, 2, 5, 10) runs in-process in
    tests/analysis/test_evidence.py, over 600 draws each."""
    k = 5
    rng = np.random.default_rng(1000 + k)
    ids = _suite(project, 100, critical=30)
    rates = rng.uniform(0.15, 0.85, len(ids))
    draws = 200
    fails = sum(_draw(project, ids, rates, rates, k, rng) == "fail" for _ in range(draws))
    assert fails / draws <= ALPHA, f"{fails} false FAILs in {draws} A/A draws at K = {k}"


def test_planted_critical_regression_fails_nearly_always(project: Project) -> None:
    rng = np.random.default_rng(7)
    ids = _suite(project, 100, critical=30)
    rates = rng.uniform(0.15, 0.85, len(ids))
    base, cand = rates.copy(), rates.copy()
    base[:5], cand[:5] = 0.95, 0.05
    draws = 200
    fails = sum(_draw(project, ids, base, cand, 5, rng) == "fail" for _ in range(draws))
    assert fails / draws >= 0.95


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

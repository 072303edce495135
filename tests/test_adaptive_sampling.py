"""``--samples auto`` through the CLI: rounds, early stops, the generation cache, every report."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from harness_project import Project

from harness.generation.backends.fake import FakeBackend


def _suite(project: Project, checks: dict[str, str], critical: set[str] = frozenset()) -> None:
    lines = [f"  - {{id: {cid}, vars: {{q: {cid}}}, tags: [{'critical' if cid in critical else 'other'}], "
             f"checks: [{{type: contains, value: '{value}'}}]}}" for cid, value in checks.items()]
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\ndefaults:\n  params: {temperature: 0.8}\n"
                       "cases:\n" + "\n".join(lines) + "\n")


def test_settled_cases_stop_early_and_a_demonstrated_regression_stops_the_comparison(project: Project) -> None:
    """Settled cases have only two recorded samples: asking for a third would be an error. The two
    critical cases that flip are demonstrated at round 5 (efficacy): every case stops there."""
    checks = {f"c{i}": "ok" for i in range(8)}
    _suite(project, checks, critical={"c0", "c1", "c2", "c3"})
    base = {"c0": ["ok"] * 10, "c1": ["ok"] * 10, "c2": ["ok"] * 2, "c3": ["no"] * 2,
            "c4": ["ok", "no"] * 5, "c5": ["ok"] * 2, "c6": ["no"] * 2, "c7": ["ok"] * 2}
    cand = {**base, "c0": ["no"] * 10, "c1": ["no"] * 10, "c4": ["no", "ok"] * 5}
    project.replay(base, "base.jsonl")
    project.replay(cand, "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--samples", "auto", "--no-store", "--json", "out.json", "--junit", "out.xml",
                         "--markdown", "out.md", "--html", "out.html")
    report = project.read_json("out.json")
    suite = report["suites"][0]
    cases = {c["id"]: c for c in suite["cases"]}
    assert all(c["samples"]["stopped_early"] for c in cases.values())
    assert all(cases[c]["samples"]["rounds"] == 2 for c in ("c2", "c3", "c5", "c6", "c7"))
    # a complete flip over r rounds: p = 1/6 (first 2 rounds, 2 of 4 samples pass, the baseline's)
    # * 1/C(2(r - 2), r - 2) (the rounds after); the interim looks test at alpha * 0.2 / 8 = 0.00125,
    # half of it for the combined test over c0 and c1: r = 5 (p = 1/120 each) is the first
    assert cases["c0"]["samples"]["rounds"] == 5 and cases["c0"]["samples"]["discordant_rounds"] == [5, 0]
    assert cases["c0"]["p_drop"] == pytest.approx(1 / 120, rel=1e-3)
    assert cases["c4"]["samples"]["discordant_rounds"] == [3, 2]
    sampling = suite["sampling"]
    assert (sampling["stop_round"], sampling["stop_reason"], sampling["alpha_share"]) == (5, "efficacy", 0.025)
    assert sampling["stopped_early"] == 8 and sampling["settled"] == 5
    assert sampling["generations"] == 2 * (3 * 5 + 5 * 2)
    assert sampling["fixed_generations"] == 160 and "c2 (2)" in sampling["text"]
    assert suite["decision"]["alpha"] == pytest.approx(0.05 * 0.025)
    assert report["verdict"] == "fail" and result.code == 1
    assert any("c0" in r and "c1" in r and "critical" in r for r in report["reasons"])
    for name in ("out.xml", "out.md", "out.html"):
        assert "settled early" in Path(name).read_text(encoding="utf-8"), name
        assert "stopped at round 5 (efficacy" in Path(name).read_text(encoding="utf-8"), name
    assert "settled early" in result.text
    assert "2 round(s), stopped early" in Path("out.xml").read_text(encoding="utf-8")


def test_comparison_without_evidence_of_a_failure_stops_for_futility(project: Project) -> None:
    """Both sides give the same flaky answers: no discordant round, nothing can fail; round 3 stops
    every case, and the pass-rate rule answers at that look's level."""
    checks = {f"c{i}": "ok" for i in range(6)}
    _suite(project, checks, critical={"c0", "c1"})
    outputs = {cid: ["ok", "no"] * 5 for cid in checks}
    project.replay(outputs, "r.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:r.jsonl", "-c", "replay:r.jsonl",
                         "--samples", "auto", "--no-store", "--json", "out.json")
    suite = project.read_json("out.json")["suites"][0]
    sampling = suite["sampling"]
    assert (sampling["stop_round"], sampling["stop_reason"], sampling["settled"]) == (3, "futility", 0)
    assert {c["samples"]["rounds"] for c in suite["cases"]} == {3}
    assert sampling["generations"] == 2 * 3 * 6 and "futility" in result.text
    assert suite["decision"]["result"] == "pass" and suite["verdict"] == "pass" and result.code == 0


def test_rounds_go_through_the_cache_and_resume(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """Each round generates only its new sample; a longer rerun generates only the missing ones."""
    counter = tmp_path / "generated.tsv"
    monkeypatch.setenv("HARNESS_FAKE_COUNTER", str(counter))
    _suite(project, {"s0": "Q", "s1": "Q", "f0": "#0", "f1": "#0", "f2": "#1"})

    def compare(max_samples: int) -> tuple[dict, Counter]:
        counter.write_text("")
        loads = FakeBackend.loads
        # auto-cases: only the per-case rule stops cases (under "auto" this A/A comparison would stop at
        # round 3 for futility)
        project.cli("compare", "suites/s.yaml", "-b", "fake:seeded", "-c", "fake:seeded", "--samples", "auto-cases",
                    "--max-samples", str(max_samples), "--no-store", "--json", "out.json")
        rows = [line.split("\t") for line in counter.read_text().splitlines()]
        assert FakeBackend.loads - loads <= 2   # one backend per side kept loaded over the rounds
        return project.read_json("out.json")["suites"][0], Counter((r[1], int(r[3])) for r in rows)

    suite, made = compare(4)
    rounds = {c["id"]: c["samples"]["rounds"] for c in suite["cases"]}
    assert rounds["s0"] == rounds["s1"] == 2
    open_cases = [cid for cid, r in rounds.items() if r == 4]
    assert open_cases, rounds   # seeded outputs vary: some "#N" case is still open at round 2
    # the same model on both sides: the candidate's samples come from the cache the baseline filled,
    # so each (case, sample index) drawn is generated exactly once
    assert made == Counter({(cid, i): 1 for cid, r in rounds.items() for i in range(r)})
    suite, made = compare(6)
    again = {c["id"]: c["samples"]["rounds"] for c in suite["cases"]}
    assert all(again[c] == 6 for c in open_cases) and again["s0"] == 2
    assert made == Counter({(cid, i): 1 for cid in open_cases for i in (4, 5)})


def test_bad_samples_value_is_a_usage_error(project: Project) -> None:
    _suite(project, {"c0": "ok"})
    project.replay({"c0": "ok"}, "r.jsonl")
    for args in (["--samples", "many"], ["--samples", "auto", "--min-samples", "5", "--max-samples", "3"]):
        result = project.cli("compare", "suites/s.yaml", "-b", "replay:r.jsonl", "-c", "replay:r.jsonl",
                             "--no-store", *args)
        assert result.code == 2 and "samples" in result.text, result.text


def test_check_samples_auto_draws_one_round_for_a_greedy_changed_case(tmp_path: Path) -> None:
    from harness.analysis.sequential import SequentialDesign
    from harness.commands.check import CheckOptions, run_check
    from harness.generation.backends.fake import FakeBackend
    from tests.gitproject import make_project, suite_doc, write_yaml

    repo = make_project(tmp_path / "proj")
    doc = suite_doc("s2", "prompts/a.yaml", 3)
    doc["cases"][1]["vars"] = {"question": "s2 question 1, rephrased"}
    write_yaml(repo, "suites/s2.yaml", doc)
    before = FakeBackend.generated
    outcome = run_check(CheckOptions(base="HEAD", progress=False, design=SequentialDesign(2, 6)), start=repo)
    (suite,) = outcome.report.suites
    (case,) = suite.cases
    assert case.id == "c1" and case.samples.rounds == 1 and not case.samples.stopped_early
    assert suite.sampling is not None and suite.sampling.generations == 2
    assert FakeBackend.generated - before == 2


def test_futility_zero_never_stops_for_futility(project: Project) -> None:
    """The A/A comparison above, with --futility 0: no futility stop, the cases run to --max-samples."""
    checks = {f"c{i}": "ok" for i in range(4)}
    _suite(project, checks, critical={"c0"})
    project.replay({cid: ["ok", "no"] * 3 for cid in checks}, "r.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:r.jsonl", "-c", "replay:r.jsonl",
                         "--samples", "auto", "--max-samples", "6", "--futility", "0", "--no-store",
                         "--json", "out.json")
    sampling = project.read_json("out.json")["suites"][0]["sampling"]
    assert (sampling["stop_round"], sampling["stop_reason"]) == (6, "max") and result.code == 0
    bad = project.cli("compare", "suites/s.yaml", "-b", "replay:r.jsonl", "-c", "replay:r.jsonl",
                      "--samples", "auto", "--futility", "1.5", "--no-store")
    assert bad.code == 2 and "--futility" in bad.text

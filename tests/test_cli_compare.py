"""`harness compare` and `harness calibrate` end to end on recorded outputs (replay files).

Scenarios: clear regressions and improvements, flaky cases with K=5, single-sample flips with
K=1, an A/A pair, several suites under one verdict, prompt upgrades, policies, exit codes.
"""

from __future__ import annotations

import subprocess

from harness_project import Project

SUITE = """
id: {id}
template: "Q: {{{{ q }}}}"
cases:
{cases}
"""


def _suite(project: Project, suite_id: str, case_ids: list[str], critical: tuple[str, ...] = ()) -> None:
    lines = []
    for cid in case_ids:
        tags = "[critical]" if cid in critical else "[]"
        lines.append(f"  - {{id: {cid}, vars: {{q: {cid}}}, tags: {tags}, checks: [{{type: contains, value: ok}}]}}")
    project.suite(suite_id, SUITE.format(id=suite_id, cases="\n".join(lines)))


def _outputs(passes: dict[str, list[bool]]) -> dict[str, list[str]]:
    return {cid: ["ok" if p else "no" for p in flags] for cid, flags in passes.items()}


def _statuses(report: dict, suite: int = 0) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["suites"][suite]["cases"]}


def test_k5_scenarios_give_the_expected_status_for_every_case(project: Project) -> None:
    ids = ["reg", "imp", "flaky", "same_pass", "same_fail", "drift_flaky"]
    _suite(project, "s", ids)
    project.replay(_outputs({"reg": [True] * 5, "imp": [False] * 5, "flaky": [True, True, True, False, False],
                             "same_pass": [True] * 5, "same_fail": [False] * 5,
                             "drift_flaky": [True] * 5}), "base.jsonl")
    project.replay(_outputs({"reg": [False] * 5, "imp": [True] * 5, "flaky": [True, True, False, False, False],
                             "same_pass": [True] * 5, "same_fail": [False] * 5,
                             "drift_flaky": [True, True, False, False, True]}), "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--samples", "5", "--json", "out.json", "--no-store")
    report = project.read_json("out.json")
    assert _statuses(report) == {"reg": "regression", "imp": "improvement", "flaky": "flaky",
                                 "same_pass": "stable_pass", "same_fail": "stable_fail", "drift_flaky": "flaky"}
    case = next(c for c in report["suites"][0]["cases"] if c["id"] == "flaky")
    assert (case["baseline_pass_rate"], case["candidate_pass_rate"]) == (0.6, 0.4)
    assert report["verdict"] in ("warn", "inconclusive", "fail")
    assert result.code == (1 if report["verdict"] == "fail" else 0)


def test_k1_flips_and_critical_regression_fail_the_gate(project: Project) -> None:
    _suite(project, "s", ["a", "b", "c"], critical=("a",))
    project.replay(_outputs({"a": [True], "b": [False], "c": [True]}), "base.jsonl")
    project.replay(_outputs({"a": [False], "b": [True], "c": [True]}), "cand.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--json", "out.json", "--junit", "out.xml", "--markdown", "out.md", "--no-store")
    report = project.read_json("out.json")
    assert _statuses(report) == {"a": "regression", "b": "improvement", "c": "stable_pass"}
    assert result.code == 1 and report["verdict"] == "fail"
    assert any("critical" in r for r in report["reasons"])
    assert "FAIL" in (project.root / "out.md").read_text(encoding="utf-8")
    assert 'failures="1"' in (project.root / "out.xml").read_text(encoding="utf-8")


def test_aa_pair_gives_zero_regressions_and_passes(project: Project) -> None:
    _suite(project, "s", ["a", "b", "c"], critical=("a",))
    project.replay(_outputs({"a": [True, True, False], "b": [False] * 3, "c": [True] * 3}), "base.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:base.jsonl",
                         "--samples", "3", "--json", "out.json", "--no-store")
    report = project.read_json("out.json")
    assert "regression" not in _statuses(report).values()
    assert result.code == 0 and report["verdict"] == "pass"


def test_several_suites_one_verdict(project: Project) -> None:
    _suite(project, "one", ["a"])
    _suite(project, "two", ["b"], critical=("b",))
    project.replay(_outputs({"a": [True], "b": [True]}), "base.jsonl")
    project.replay(_outputs({"a": [True], "b": [False]}), "cand.jsonl")
    result = project.cli("compare", "suites", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--json", "out.json", "--no-store")
    report = project.read_json("out.json")
    assert [s["id"] for s in report["suites"]] == ["one", "two"]
    assert [s["verdict"] for s in report["suites"]] == ["pass", "fail"]
    assert report["verdict"] == "fail" and result.code == 1


def test_policy_file_changes_the_verdict_and_bad_policy_is_exit_2(project: Project) -> None:
    _suite(project, "s", ["a", "b"])
    project.replay(_outputs({"a": [True], "b": [True]}), "base.jsonl")
    project.replay(_outputs({"a": [False], "b": [True]}), "cand.jsonl")
    project.write("strict.yaml", "max_regressions: 0\nmax_pass_rate_drop: 1.0\n")
    strict = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                         "--policy", "strict.yaml", "--no-store")
    assert strict.code == 1
    project.write("lenient.yaml", "max_regressions: {value: 5, level: warn}\nmax_pass_rate_drop: 1.0\n")
    lenient = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                          "--policy", "lenient.yaml", "--no-store")
    assert lenient.code == 0
    project.write("bad.yaml", "max_regresions: 1\n")
    bad = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "replay:cand.jsonl",
                      "--policy", "bad.yaml", "--no-store")
    assert bad.code == 2 and "bad.yaml:1" in bad.text and "max_regresions" in bad.text


def test_prompt_upgrade_from_a_file_and_from_a_git_revision(project: Project) -> None:
    project.prompt("p", "id: p\nversion: v1\ntemplate: 'old {{ q }}'\n")
    project.suite("s", "id: s\nprompt: prompts/p.yaml\ncases:\n"
                       "  - {id: a, vars: {q: x}, checks: [{type: contains, value: new}]}\n")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project.root, check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], cwd=project.root, check=True)
    project.write("old_prompt.yaml", "id: p\nversion: v1\ntemplate: 'old {{ q }}'\n")
    project.prompt("p", "id: p\nversion: v2\ntemplate: 'new {{ q }}'\n")
    for baseline_prompt in ("HEAD", "old_prompt.yaml"):
        result = project.cli("compare", "suites/s.yaml", "--baseline", "fake:echo",
                             "--baseline-prompt", baseline_prompt, "--json", "out.json", "--no-store")
        report = project.read_json("out.json")
        suite = report["suites"][0]
        assert suite["baseline"]["prompt_version"] == "v1" and suite["candidate"]["prompt_version"] == "v2"
        assert suite["variable"] == "prompt"
        assert _statuses(report) == {"a": "improvement"}, baseline_prompt
        assert result.code == 0
    unknown = project.cli("compare", "suites/s.yaml", "--baseline", "fake:echo", "--baseline-prompt", "no-such-ref",
                          "--no-store")
    assert unknown.code == 2 and "no-such-ref" in unknown.text


def test_calibrate_deterministic_model_has_no_false_alarms(project: Project) -> None:
    _suite(project, "s", ["a", "b", "c"])
    result = project.cli("calibrate", "suites/s.yaml", "--model", "fake:echo", "--repeats", "2",
                         "--json", "cal.json")
    assert result.code == 0
    (calibration,) = project.read_json("cal.json")
    assert calibration["observed_regressions"] == 0 and calibration["false_alarm_rate"] == 0


def test_calibrate_noisy_model_reports_a_false_alarm_rate(project: Project) -> None:
    project.suite("s", "id: s\ntemplate: 'Q {{ q }}'\ndefaults: {params: {temperature: 1.0}}\ncases:\n"
                  + "".join(f"  - {{id: c{i}, vars: {{q: '{i}'}}, checks: [{{type: contains, value: '#0'}}]}}\n"
                            for i in range(8)))
    result = project.cli("calibrate", "suites/s.yaml", "--model", "fake:seeded", "--samples", "3",
                         "--json", "cal.json")
    assert result.code == 0
    (calibration,) = project.read_json("cal.json")
    assert 0 < calibration["false_alarm_rate"] <= 1 and calibration["samples"] == 3
    assert "sample(s) per case" in calibration["text"]


def test_compare_with_a_broken_backend_exits_3(project: Project) -> None:
    _suite(project, "s", ["a"])
    project.replay(_outputs({"a": [True]}), "base.jsonl")
    result = project.cli("compare", "suites/s.yaml", "-b", "replay:base.jsonl", "-c", "openai:http://127.0.0.1:9/v1#m",
                         "--no-store")
    assert result.code == 3


def test_candidate_seed_makes_an_aa_of_one_sampled_model(project: Project) -> None:
    """One model on both sides draws the same samples (same seeds, one cache); ``--candidate-seed`` gives
    the candidate its own samples, so the comparison sees sampling noise only."""
    lines = "\n".join(f"  - {{id: c{i}, vars: {{q: c{i}}}, checks: [{{type: contains, value: '#1'}}]}}"
                      for i in range(12))
    project.suite("s", "id: s\ntemplate: 'Q: {{ q }}'\ndefaults:\n  params: {temperature: 0.8}\ncases:\n"
                  + lines + "\n")
    args = ("compare", "suites/s.yaml", "-b", "fake:seeded", "-c", "fake:seeded", "--samples", "3", "--no-store",
            "--json", "out.json")

    def outputs() -> tuple[list, list]:
        cases = project.read_json("out.json")["suites"][0]["cases"]
        return [c["baseline_outputs"] for c in cases], [c["candidate_outputs"] for c in cases]

    assert project.cli(*args).code == 0
    same_seed = outputs()
    assert same_seed[0] == same_seed[1]
    result = project.cli(*args, "--candidate-seed", "1")
    assert result.code in (0, 1), result.text
    base, cand = outputs()
    assert base == same_seed[0] and cand != base   # the baseline's samples are unchanged, the candidate's new
    auto = project.cli("compare", "suites/s.yaml", "-b", "fake:seeded", "-c", "fake:seeded", "--samples", "auto",
                       "--candidate-seed", "1", "--no-store")
    assert auto.code == 2 and "--candidate-seed" in auto.text

"""compare_runs on constructed RunResults (real MiniLM embeddings for similarity)."""

from __future__ import annotations

import json

import pytest
import scipy.stats

from harness.analysis.compare import compare_runs, normalise_answer
from harness.analysis.report_build import suite_report
from harness.types import RunResult
from tests.comparison_helpers import case, counts, info, run


def _status(comparison, case_id):
    return next(c for c in comparison.cases if c.case_id == case_id).status


@pytest.fixture(scope="module")
def k5():
    base = run([case("drop", counts(5, 5)), case("rise", counts(0, 5)), case("noisy", counts(3, 5)),
                case("good", counts(5, 5)), case("bad", counts(0, 5)), case("slight", counts(5, 5))])
    cand = run([case("drop", counts(0, 5), outputs=["I cannot help with that."] * 5),
                case("rise", counts(5, 5)), case("noisy", counts(2, 5)),
                case("good", counts(5, 5)), case("bad", counts(0, 5)), case("slight", counts(4, 5))],
               model="fake:b")
    return compare_runs(base, cand)


def test_statuses_with_five_samples(k5):
    assert {c.case_id: c.status for c in k5.cases} == {
        "drop": "regression", "rise": "improvement", "noisy": "flaky", "good": "stable_pass",
        "bad": "stable_fail", "slight": "flaky"}
    assert k5.stats.status_counts == {"regression": 1, "improvement": 1, "stable_pass": 1,
                                      "stable_fail": 1, "flaky": 2}
    assert k5.stats.flaky_share == pytest.approx(2 / 6)
    drop = k5.cases[0]
    assert drop.p_value == pytest.approx(scipy.stats.fisher_exact([[5, 0], [0, 5]])[1])


def test_pass_rates_and_delta(k5):
    base = [1, 0, 0.6, 1, 0, 1]
    cand = [0, 1, 0.4, 1, 0, 0.8]
    assert k5.baseline.pass_rate == pytest.approx(sum(base) / 6)
    assert k5.candidate.pass_rate == pytest.approx(sum(cand) / 6)
    assert k5.stats.pass_rate_delta == pytest.approx((sum(cand) - sum(base)) / 6)
    lo, hi = k5.stats.ci95
    assert lo <= k5.stats.pass_rate_delta <= hi


def test_single_sample_flips():
    base = run([case("a", [True]), case("b", [False]), case("c", [True]), case("d", [False])])
    cand = run([case("a", [False]), case("b", [True]), case("c", [True]), case("d", [False])])
    comp = compare_runs(base, cand, embedding_model=None)
    assert [c.status for c in comp.cases] == ["regression", "improvement", "stable_pass", "stable_fail"]
    assert comp.stats.power.samples == 1
    assert comp.stats.power.min_case_drop == 1.0


def test_deterministic_model_against_itself_has_no_regressions():
    cases = [case(f"c{i}", [i % 3 != 0] * 3, outputs=[f"answer {i}"] * 3) for i in range(12)]
    comp = compare_runs(run(cases), run(cases))
    assert comp.regressions == [] and comp.with_status("improvement") == []
    assert comp.stats.pass_rate_delta == 0.0
    assert comp.stats.ci95 == (0.0, 0.0)
    assert comp.stats.mcnemar_p == 1.0
    assert all(c.drift.value == 0.0 for c in comp.cases)
    assert comp.drift.most_drifted == ()
    assert comp.warnings == ()


def test_mcnemar_uses_discordant_cases():
    base = run([case(f"p{i}", [True]) for i in range(8)] + [case("f", [False]), case("s", [True])])
    cand = run([case(f"p{i}", [False]) for i in range(8)] + [case("f", [True]), case("s", [True])])
    comp = compare_runs(base, cand, embedding_model=None)
    assert comp.stats.discordant == (8, 1)
    assert comp.stats.mcnemar_p == pytest.approx(scipy.stats.binomtest(1, 9, 0.5).pvalue)


def test_mcnemar_counts_a_case_as_passing_at_half():
    base = run([case("a", counts(3, 6)), case("b", counts(2, 6))])
    cand = run([case("a", counts(2, 6)), case("b", counts(3, 6))])
    comp = compare_runs(base, cand, embedding_model=None)
    assert comp.stats.discordant == (1, 1)


def test_suite_ci_is_the_cluster_robust_t_interval():
    """The suite CI needs no random draws: the t interval on the per-case differences (each case its
    own cluster here), identical to scipy's one-sample t interval."""
    from scipy import stats as scipy_stats

    base = run([case(f"c{i}", counts(i % 8, 7)) for i in range(23)])
    cand = run([case(f"c{i}", counts((i * 3 + i // 5) % 8, 7)) for i in range(23)])
    one = compare_runs(base, cand, embedding_model=None, bootstrap_seed=1)
    other = compare_runs(base, cand, embedding_model=None, bootstrap_seed=2)
    assert one.stats.ci95 == other.stats.ci95
    diffs = [(((i * 3 + i // 5) % 8) - (i % 8)) / 7 for i in range(23)]
    expected = scipy_stats.t.interval(0.95, 22, loc=sum(diffs) / 23, scale=scipy_stats.sem(diffs))
    assert one.stats.ci95 == pytest.approx(expected)
    assert one.stats.clusters == 23


def test_drift_is_measured_even_when_both_pass():
    base = run([case("same", [True], outputs=["The capital of France is Paris."]),
                case("reworded", [True], outputs=["The capital of France is Paris."]),
                case("moved", [True], outputs=["Paris"])])
    cand = run([case("same", [True], outputs=["The capital of France is Paris."]),
                case("reworded", [True], outputs=["Paris is the capital city of France."]),
                case("moved", [True], outputs=["Paris. Also, here is a long story about bananas and boats."])])
    comp = compare_runs(base, cand)
    drift = {c.case_id: c.drift for c in comp.cases}
    assert [c.status for c in comp.cases] == ["stable_pass"] * 3
    assert drift["same"].value == 0.0 and drift["same"].rouge_l == 1.0
    assert 0 < drift["reworded"].value < drift["moved"].value
    assert drift["reworded"].value == pytest.approx(1 - drift["reworded"].similarity)
    assert 0 < drift["reworded"].rouge_l < 1
    assert drift["moved"].length_delta == len("Paris. Also, here is a long story about bananas and boats.") - 5
    assert comp.drift.basis == "similarity"
    assert comp.drift.most_drifted[0][0] == "moved"
    assert set(comp.drift.quantiles) == {"p10", "p25", "p50", "p75", "p90"}


def test_json_validity_and_refusal_changes():
    base = run([case("j", [True], outputs=['{"a": 1}']), case("r", [True], outputs=["Sure: Paris."])])
    cand = run([case("j", [False], outputs=["a is one"]),
                case("r", [False], outputs=["I'm sorry, I can't help with that."])])
    comp = compare_runs(base, cand, embedding_model=None)
    j, r = comp.cases
    assert (j.drift.json_valid_baseline, j.drift.json_valid_candidate) == (1.0, 0.0)
    assert (r.drift.refusal_baseline, r.drift.refusal_candidate) == (0.0, 1.0)
    assert comp.drift.json_validity_losses == ("j",)
    assert comp.drift.refusal_increases == ("r",)
    assert comp.drift.basis == "rouge-l"
    assert j.drift.value == pytest.approx(1 - j.drift.rouge_l)


def test_numeric_check_deltas_with_ci():
    base = run([case(f"c{i}", [True, True], values=[0.5, 0.7]) for i in range(10)])
    cand = run([case(f"c{i}", [True, True], values=[0.4, 0.4]) for i in range(10)])
    comp = compare_runs(base, cand, embedding_model=None)
    (delta,) = comp.stats.check_deltas
    assert delta.check == "check" and delta.cases == 10
    assert delta.baseline_mean == pytest.approx(0.6) and delta.candidate_mean == pytest.approx(0.4)
    assert delta.delta == pytest.approx(-0.2)
    assert delta.ci95 == pytest.approx((-0.2, -0.2))
    score = comp.cases[0].scores[0]
    assert (score.baseline_value, score.candidate_value) == (pytest.approx(0.6), pytest.approx(0.4))


def test_consistency_agreement_and_pass_at_k():
    base = run([case("a", [True, True, False, True], outputs=["Paris", " paris ", "Lyon", "PARIS"])])
    comp = compare_runs(base, base)
    side = comp.cases[0].baseline.consistency
    assert side.agreement == 0.75 and side.distinct_answers == 2
    assert side.pass_at_k[1] == pytest.approx(0.75) and side.pass_at_k[2] == 1.0
    assert side.pass_hat_k[2] == pytest.approx(3 / 6) and side.pass_hat_k[4] == 0.0
    assert 0 < side.mean_pairwise_similarity < 1
    assert comp.baseline_consistency.mean_agreement == 0.75
    assert normalise_answer("  Paris\n is ") == "paris is"


def test_paraphrase_invariance():
    base = run([case("a", [True, True], paraphrases=[[True, True], [False, False]])])
    comp = compare_runs(base, base)
    first, second = comp.cases[0].baseline.paraphrases
    assert (first.pass_agreement, second.pass_agreement) == (1.0, 0.0)
    assert first.similarity == pytest.approx(1.0)       # "Paris" vs "Paris"
    assert second.similarity < 0.9                      # "Lyon" vs "Paris"
    assert comp.baseline_consistency.paraphrase_pass_agreement == 0.5


def test_errored_samples_are_left_out():
    base = run([case("a", [True, True, True]), case("b", [True, True])])
    cand = run([case("a", [True, False, False], errors=[None, "timeout", "timeout"]),
                case("b", [False, False], errors=["server down", "server down"])])
    comp = compare_runs(base, cand, embedding_model=None)
    a, b = comp.cases
    assert (a.candidate.n, a.candidate.passed, a.status) == (1, 1, "stable_pass")
    assert a.has_errors and not a.errored and a.candidate.errors[0] == "sample 1: timeout"
    assert b.errored and b.status == "flaky"
    assert comp.stats.cases == 1 and comp.stats.pass_rate_delta == 0.0


def test_unmatched_cases_are_reported():
    base = run([case("a", [True]), case("gone", [True])])
    cand = run([case("a", [True]), case("new", [False])])
    comp = compare_runs(base, cand, embedding_model=None)
    assert [c.case_id for c in comp.cases] == ["a"]
    assert comp.baseline_only == ("gone",) and comp.candidate_only == ("new",)
    assert any("missing from the candidate" in w and "gone" in w for w in comp.warnings)


def _with_info(result: RunResult, **kwargs) -> RunResult:
    return RunResult(info=info(**kwargs), cases=result.cases)


def test_confounder_warnings_for_a_model_comparison():
    cases = run([case("a", [True])])
    base = _with_info(cases, model="hf:a", fingerprint={"backend": "hf", "dtype": "float32", "sha": "1"})
    same_setup = _with_info(cases, model="hf:b", fingerprint={"backend": "hf", "dtype": "float32", "sha": "2"})
    assert compare_runs(base, same_setup, embedding_model=None).confounders == ()
    other = _with_info(cases, model="hf:b", fingerprint={"backend": "hf", "dtype": "bfloat16", "sha": "2"},
                       params={"temperature": 0.0}, versions={"harness": "0.2.0"})
    found = compare_runs(base, other, embedding_model=None).confounders
    assert any("dtype" in w for w in found)
    assert any("generation params" in w and "temperature" in w for w in found)
    assert any("harness 0.1.0 vs 0.2.0" in w for w in found)
    assert not any("sha" in w for w in found)
    reseeded = _with_info(cases, model="hf:b", fingerprint={"backend": "hf", "dtype": "float32", "sha": "2"},
                          params={"temperature": 0.7, "seed": 5})
    assert compare_runs(base, reseeded, embedding_model=None).confounders == ()


def test_confounder_warnings_for_a_prompt_comparison():
    cases = run([case("a", [True])])
    base = _with_info(cases, prompt_version="v1", prompt_hash="x")
    cand = _with_info(cases, prompt_version="v2", prompt_hash="y")
    assert compare_runs(base, cand, variable="prompt", embedding_model=None).confounders == ()
    assert any("prompt differs" in w for w in compare_runs(base, cand, embedding_model=None).confounders)
    other_model = _with_info(cases, model="fake:z", prompt_version="v2", prompt_hash="y")
    found = compare_runs(base, other_model, variable="prompt", embedding_model=None).confounders
    assert any("model differs" in w for w in found)


def test_report_dict_has_the_design_shape(k5):
    report = suite_report(k5, None).model_dump(mode="json")
    json.dumps(report)
    assert {"id", "verdict", "baseline", "candidate", "stats", "cases"} <= set(report)
    assert report["verdict"] is None
    assert set(report["baseline"]) >= {"model", "prompt_version", "pass_rate"}
    assert report["candidate"]["model"] == "fake:b"
    assert set(report["stats"]) >= {"pass_rate_delta", "ci95", "mcnemar_p"}
    assert len(report["stats"]["ci95"]) == 2
    first = report["cases"][0]
    assert {"id", "status", "baseline_pass_rate", "candidate_pass_rate", "drift", "scores",
            "baseline_outputs", "candidate_outputs"} <= set(first)
    assert first["status"] == "regression" and first["candidate_outputs"][0] == "I cannot help with that."
    assert first["scores"]["check"]["baseline_pass_rate"] == 1.0
    assert first["scores"]["check"]["candidate_reason"] == "'paris' not found"


def test_alpha_is_validated():
    base = run([case("a", [True])])
    with pytest.raises(ValueError):
        compare_runs(base, base, alpha=0)


def test_similarity_is_computed_in_one_batched_call():
    from harness.scoring.textpairs import default_similarity

    calls = []
    real = default_similarity("all-MiniLM-L6-v2")

    def counting(left, right):
        calls.append(len(left))
        return real(left, right)

    base = run([case(f"c{i}", [True, False], outputs=[f"answer {i}", f"other {i}"],
                     paraphrases=[[True, True]]) for i in range(5)])
    cand = run([case(f"c{i}", [True, True], outputs=[f"reply {i}", f"answer {i}"]) for i in range(5)])
    comp = compare_runs(base, cand, similarity=counting)
    assert len(calls) == 1 and calls[0] > 10
    assert all(c.drift.similarity is not None for c in comp.cases)
    assert all(c.baseline.consistency.mean_pairwise_similarity is not None for c in comp.cases)


def test_missing_embeddings_fall_back_to_rouge():
    from harness.errors import ConfigError

    def unavailable(left, right):
        raise ConfigError("similarity checks need sentence-transformers")

    base = run([case("a", [True], outputs=["Paris is the capital"])])
    cand = run([case("a", [True], outputs=["The capital is Paris"])])
    comp = compare_runs(base, cand, similarity=unavailable)
    assert comp.drift.basis == "rouge-l"
    assert comp.cases[0].drift.similarity is None
    assert comp.cases[0].drift.value == pytest.approx(1 - comp.cases[0].drift.rouge_l)
    assert any("similarity unavailable" in w for w in comp.warnings)


def test_served_model_warning_reaches_the_report() -> None:
    from dataclasses import replace

    from harness.analysis.compare import compare_runs
    from tests.comparison_helpers import case, counts, run

    base = run([case("a", counts(1, 1))], model="openai:x")
    served = replace(base.info, model_fingerprint={"served": True, "warning": "may change behind the name"})
    comp = compare_runs(replace(base, info=served), base, embedding_model=None)
    assert any("baseline model" in w and "may change behind the name" in w for w in comp.warnings)


def test_precision_change_of_the_same_weights_is_the_variable_not_a_confounder():
    cases = run([case("a", [True])])
    fp = {"backend": "hf", "dtype": "float32", "quantize": None, "device": "cpu", "sha": "1"}
    base = _with_info(cases, model="smollm2", fingerprint=fp)
    int8 = _with_info(cases, model="smollm2-int8", fingerprint={**fp, "quantize": "int8"})
    assert compare_runs(base, int8, embedding_model=None).confounders == ()
    int8_gpu = _with_info(cases, model="smollm2-int8", fingerprint={**fp, "quantize": "int8", "device": "cuda"})
    found = compare_runs(base, int8_gpu, embedding_model=None).confounders
    assert any("device" in w for w in found) and not any("quantize" in w for w in found)
    new_weights = _with_info(cases, model="v2-int8", fingerprint={**fp, "quantize": "int8", "sha": "2"})
    assert any("quantize" in w for w in compare_runs(base, new_weights, embedding_model=None).confounders)

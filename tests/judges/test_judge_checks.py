"""Judge check types with the deterministic test judge: exact aggregation, judge errors, caching, templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.project.config import ProjectConfig
from harness.scoring.checks import CHECK_TYPES, ScoreItem
from harness.scoring.checks.judge import preflight_judges
from harness.scoring.judging import JudgeEnv, judge_seed, judging
from harness.types import JUDGE_ERROR, Case
from tests.support.fake_judge import FakeJudge, _draw


def _score(config: dict, outputs: list[str], env: JudgeEnv, reference: str | None = None):
    check = CHECK_TYPES.get(config["type"])
    scorer = check(check.Config.model_validate(config))
    case = Case(id="c1", vars={}, reference=reference)
    with judging(env):
        return scorer.score([ScoreItem(o, case, "What is good?") for o in outputs])


@pytest.fixture
def env(tmp_path: Path) -> JudgeEnv:
    return JudgeEnv(project=ProjectConfig(root=tmp_path, cache_dir=tmp_path / "cache"), seed=7)


def test_rubric_aggregates_judgments_exactly(env: JudgeEnv) -> None:
    good, bad = _score({"type": "llm-rubric", "rubric": "is good", "judge": "test-judge:rubric",
                        "judge_samples": 3}, ["GOOD answer", "meh"], env)
    assert (good.passed, good.value, good.judgments, good.judge) == (True, 1.0, (True, True, True),
                                                                      "test-judge:rubric")
    assert (bad.passed, bad.value, bad.judgments, bad.error) == (False, 0.0, (False, False, False), False)


def test_noisy_judgments_follow_their_own_seeds_and_the_majority(env: JudgeEnv) -> None:
    (score,) = _score({"type": "llm-rubric", "rubric": "r", "judge": "test-judge:noisy", "judge_samples": 5},
                      ["GOOD"], env)
    import hashlib
    key = "c1\x1f" + hashlib.sha256(b"GOOD").hexdigest()[:16]
    expected = tuple(_draw(judge_seed(7, key, j)) < 0.8 for j in range(5))
    assert score.judgments == expected
    assert score.value == pytest.approx(sum(expected) / 5)
    assert score.passed == (sum(expected) / 5 >= 0.5)


def test_unreadable_answers_are_judge_errors_not_fails(env: JudgeEnv) -> None:
    (score,) = _score({"type": "closedqa", "judge": "test-judge:garbage", "judge_samples": 2}, ["x"], env,
                      reference="y")
    assert score.error and score.verdict == JUDGE_ERROR and score.judge_error and score.judgments == ()


def test_geval_is_probability_weighted_when_the_backend_gives_token_probabilities(env: JudgeEnv) -> None:
    (score,) = _score({"type": "g-eval", "criteria": "helpful", "judge": "test-judge:geval"}, ["x"], env)
    assert score.value == pytest.approx((4.6 - 1) / 4)  # expectation 0.1*1 + 0.9*5, not the greedy "3"
    assert score.passed


def test_cached_rerun_makes_zero_judge_calls(env: JudgeEnv) -> None:
    config = {"type": "llm-rubric", "rubric": "r", "judge": "test-judge:noisy", "judge_samples": 3}
    before = FakeJudge.calls
    first = _score(config, ["GOOD", "bad"], env)
    assert FakeJudge.calls - before == 6
    again = _score(config, ["GOOD", "bad"], env)
    assert FakeJudge.calls - before == 6 and again == first
    _score({**config, "rubric": "another rubric"}, ["GOOD"], env)  # the rubric is part of the key
    assert FakeJudge.calls - before == 9


def test_factuality_reads_the_choice_and_needs_a_reference(env: JudgeEnv) -> None:
    (no_ref,) = _score({"type": "factuality", "judge": "test-judge:rubric"}, ["x"], env)
    assert no_ref.error and not no_ref.judge_error


def test_a_template_missing_its_variables_names_file_and_field(tmp_path: Path, env: JudgeEnv) -> None:
    template = tmp_path / "mine.j2"
    template.write_text("Grade this: {{ question }}\n")
    case = Case(id="c1", vars={}, checks=(CHECK_TYPES.get("llm-rubric").Config.model_validate(
        {"type": "llm-rubric", "rubric": "r", "template": str(template), "judge": "test-judge:rubric"}),))
    with judging(env), pytest.raises(ConfigError) as err:
        preflight_judges([case], "suites/s.yaml")
    assert err.value.file == str(template) and err.value.field == "template"
    assert "output" in str(err.value) and "rubric" in str(err.value)


def test_an_unknown_judge_names_suite_and_field(env: JudgeEnv) -> None:
    case = Case(id="c1", vars={}, checks=(CHECK_TYPES.get("llm-rubric").Config.model_validate(
        {"type": "llm-rubric", "rubric": "r", "judge": "no-such-judge"}),))
    with judging(env), pytest.raises(ConfigError) as err:
        preflight_judges([case], "suites/s.yaml")
    assert err.value.file == "suites/s.yaml" and err.value.field == "cases.c1.checks.llm-rubric.judge"


def test_a_judge_with_the_model_under_tests_fingerprint_is_labelled_as_that_model(tmp_path: Path) -> None:
    env = JudgeEnv(project=ProjectConfig(root=tmp_path, cache_dir=tmp_path / "c"), subject="my-model",
                   subject_fingerprint={"backend": "test-judge", "mode": "rubric"})
    (score,) = _score({"type": "llm-rubric", "rubric": "r", "judge": "test-judge:rubric"}, ["GOOD"], env)
    assert score.judge == "my-model"  # compare then warns that the judge grades its own answers

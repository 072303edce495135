"""Judge answers are read robustly: the first JSON object, else a Score: N / verdict fallback."""

from __future__ import annotations

import pytest

from harness.scoring.judge_parse import first_json_object, parse_choice, parse_pass, parse_score, parse_winner


def test_first_json_object_skips_prose_and_respects_braces_in_strings() -> None:
    text = 'Here {not json} is it: {"reason": "uses } and { inside", "score": 0.7, "pass": true} and {"x": 1}'
    assert first_json_object(text) == {"reason": "uses } and { inside", "score": 0.7, "pass": True}


@pytest.mark.parametrize(("text", "score", "passed"), [
    ('{"score": 0.25, "pass": false}', 0.25, False),
    ('```json\n{"score": "0.9"}\n```', 0.9, None),
    ("Score: 0.6", 0.6, None),
    ("0.8 because it is right", 0.8, None),
    ("The answer is a PASS.", None, True),
])
def test_parse_score(text: str, score: float | None, passed: bool | None) -> None:
    answer = parse_score(text, 0.0, 1.0)
    assert answer is not None and answer.score == score and answer.passed == passed


def test_out_of_range_scores_and_prose_are_unusable() -> None:
    assert parse_score('{"score": 7}', 0.0, 1.0) is None
    assert parse_score("I cannot decide, sorry.", 0.0, 1.0) is None
    assert parse_score("Score: 4", 1.0, 5.0).score == 4.0  # type: ignore[union-attr]


def test_parse_choice_pass_and_winner() -> None:
    assert parse_choice('{"choice": "(D)", "reason": "x"}').choice == "D"  # type: ignore[union-attr]
    assert parse_choice("I pick (B) since ...").choice == "B"  # type: ignore[union-attr]
    assert parse_choice("no idea") is None
    assert parse_pass("Y").passed is True and parse_pass("N.").passed is False  # type: ignore[union-attr]
    assert parse_pass('{"pass": "no"}').passed is False  # type: ignore[union-attr]
    assert parse_winner('{"winner": "B"}').winner == "B"  # type: ignore[union-attr]
    assert parse_winner("Winner: tie").winner == "tie"  # type: ignore[union-attr]
    assert parse_winner("Answer A is better.").winner == "A"  # type: ignore[union-attr]
    assert parse_winner("both are fine i guess") is None


def test_openai_logprobs_give_score_token_probabilities() -> None:
    import math

    from harness.generation.backends.base import ModelSpec
    from harness.generation.backends.openai import OpenAIOptions, parse_response, request_body
    from harness.types import GenerationRequest, GenParams, Message, RenderedPrompt

    options = OpenAIOptions.from_spec(ModelSpec("openai", "http://127.0.0.1:1/v1", {"model": "m"}))
    prompt = RenderedPrompt((Message("user", "rate"),), "rate")
    body = request_body(options, GenerationRequest("c", 0, prompt, GenParams(), 1, score_tokens=("1", "5")))
    assert body["logprobs"] is True and body["top_logprobs"] == 20
    assert "logprobs" not in request_body(options, GenerationRequest("c", 0, prompt, GenParams(), 1))
    payload = {"choices": [{"message": {"content": "5"}, "logprobs": {"content": [{"token": "5", "top_logprobs": [
        {"token": "5", "logprob": math.log(0.7)}, {"token": " 1", "logprob": math.log(0.2)},
        {"token": "x", "logprob": math.log(0.1)}]}]}}]}
    _, _, meta = parse_response("chat", payload, ("1", "5"))
    assert meta["score_probs"] == {"1": pytest.approx(0.2), "5": pytest.approx(0.7)}
    assert "score_probs" not in parse_response("chat", {"choices": [{"message": {"content": "5"}}]}, ("1",))[2]


@pytest.mark.parametrize(("text", "passed"), [
    ("The answer does not satisfy the rubric. The answer is not a fact.", False),
    ("The answer is not the correct answer to the question.", False),
    ("The answer satisfies the rubric.", True),
    ("This is wrong.", False),
    ("Yes, it is correct.", True),
])
def test_worded_verdicts_of_weak_judges(text: str, passed: bool) -> None:
    answer = parse_score(text, 0.0, 1.0)
    assert answer is not None and answer.passed is passed and answer.score is None
    assert parse_score("The answer is Tokyo.", 0.0, 1.0) is None  # no verdict at all: a judge error

"""The levenshtein check (promptfoo's assert: pass when the edit distance is at most the threshold)
and the case-level threshold (the weighted share of passing checks)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pydantic
import pytest
from check_helpers import run_check, verdicts

from harness.project.suites import load_suite
from harness.scoring.checks.distance import levenshtein
from harness.scoring.score import score_generations
from harness.types import Generation, GenerationRequest, GenParams, RenderedPrompt


def _reference_distance(a: str, b: str) -> int:
    """Edit distance by plain recursion over all alignments (small strings only)."""
    if not a or not b:
        return len(a) + len(b)
    return min(_reference_distance(a[1:], b) + 1, _reference_distance(a, b[1:]) + 1,
               _reference_distance(a[1:], b[1:]) + (a[0] != b[0]))


@pytest.mark.parametrize("a, b, d", [("", "", 0), ("kitten", "sitting", 3), ("flaw", "lawn", 2),
                                     ("abc", "", 3), ("Paris", "paris", 1), ("héllo", "hello", 1)])
def test_known_distances(a: str, b: str, d: int) -> None:
    assert levenshtein(a, b) == d == levenshtein(b, a)


def test_distance_matches_the_recursive_definition_on_random_strings() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a, b = ("".join(rng.choice("abc") for _ in range(rng.randint(0, 6))) for _ in range(2))
        assert levenshtein(a, b) == _reference_distance(a, b), (a, b)


def test_pass_at_most_max_default_five_and_reference() -> None:
    assert verdicts({"type": "levenshtein", "value": "hello world"},
                    ["hello world", "hello wor", "hell world!!", "hello"]) == [True, True, True, False]
    assert verdicts({"type": "levenshtein", "value": "kitten", "max": 2}, ["sitting", "sittin"]) == [False, True]
    assert verdicts({"type": "levenshtein", "max": 0}, ["Rome", "rome"], reference="Rome") == [True, False]
    [score] = run_check({"type": "levenshtein", "value": "kitten", "max": 2}, ["sitting"])
    assert score.value == 3.0 and score.threshold == 2.0 and "3 > 2" in score.reason
    [missing] = run_check({"type": "levenshtein"}, ["x"])
    assert missing.error and not missing.passed
    with pytest.raises(pydantic.ValidationError):
        run_check({"type": "levenshtein", "value": "x", "max": -1}, ["x"])


SUITE = """
id: thresholds
template: "{{ q }}"
cases:
  - id: strict
    vars: {q: a}
    checks: &checks
      - {type: contains, value: alpha, weight: 3}
      - {type: contains, value: beta}
      - {type: contains, value: gamma}
  - {id: three-fifths, vars: {q: a}, threshold: 0.6, checks: *checks}
  - {id: four-fifths, vars: {q: a}, threshold: 0.8, checks: *checks}
  - {id: zero, vars: {q: a}, threshold: 0, checks: *checks}
"""


def test_case_threshold_is_the_weighted_share_of_passing_checks(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUITE)
    cases = load_suite(path).cases
    for output in ("alpha beta gamma", "alpha beta", "alpha", "beta gamma", ""):
        requests = [GenerationRequest(case_id=c.id, sample=0, prompt=RenderedPrompt((), ""), params=GenParams(),
                                      seed=0) for c in cases]
        results = score_generations(cases, requests, [Generation(output=output)] * len(cases))
        share = sum(w for w, word in zip((3, 1, 1), ("alpha", "beta", "gamma")) if word in output) / 5
        assert {r.case_id: r.samples[0].passed for r in results} == {
            "strict": share == 1, "three-fifths": share >= 0.6, "four-fifths": share >= 0.8, "zero": True}, output


def test_case_threshold_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUITE.replace("threshold: 0.6", "threshold: 1.5"))
    with pytest.raises(Exception, match="threshold"):
        load_suite(path)


def test_thresholds_leave_the_fingerprint_of_plain_cases_alone(tmp_path: Path) -> None:
    from harness.project.suites import case_fingerprint

    path = tmp_path / "s.yaml"
    path.write_text(SUITE)
    prints = [case_fingerprint(c) for c in load_suite(path).cases]
    assert "threshold" not in prints[0] and prints[1]["threshold"] == 0.6
    assert len({p.get("threshold") for p in itertools.islice(prints, 1, None)}) == 3

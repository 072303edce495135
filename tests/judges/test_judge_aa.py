"""A/A through compare with a noisy judge (judge_samples 3, temperature > 0): regressions stay within alpha.

Each draw: a model whose answers are GOOD with probability 0.5 (so generation noise is real) is
compared with itself; every answer is judged 3 times by ``test-judge:noisy`` (pass probability
0.8 for GOOD, 0.2 otherwise, a fresh seed per judgment) through the real llm-rubric scorer.
"""

from __future__ import annotations

import random

from harness.analysis.compare import compare_runs
from harness.analysis.stats import fisher_exact
from harness.scoring.judging import JudgeEnv, judging
from harness.scoring.score import score_generations
from harness.types import Case, Generation, GenerationRequest, GenParams, Message, RenderedPrompt, RunResult
from tests.comparison_helpers import info
from tests.support.fake_judge import FakeJudge  # noqa: F401  (registers test-judge)

ALPHA, CASES, K, J, DRAWS = 0.05, 10, 5, 3, 80
CHECK = {"type": "llm-rubric", "rubric": "is good", "judge": "test-judge:noisy", "judge_samples": J,
         "judge_temperature": 1.0}


def _side(rng: random.Random, draw: int, side: str, cases: list[Case]) -> RunResult:
    prompt = RenderedPrompt((Message("user", "q"),), "q")
    requests, gens = [], []
    for case in cases:
        for k in range(K):
            requests.append(GenerationRequest(case.id, k, prompt, GenParams(temperature=1.0), seed=k))
            good = rng.random() < 0.5
            gens.append(Generation(output=f"{'GOOD' if good else 'poor'} {draw}-{side}-{case.id}-{k}"))
    with judging(JudgeEnv(project=None, seed=draw)):
        results = score_generations(cases, requests, gens)
    return RunResult(info=info(model=f"m-{side}", samples=K), cases=tuple(results))


def test_aa_with_a_noisy_judge_flags_no_more_than_alpha() -> None:
    from harness.scoring.checks import CHECK_TYPES

    config = CHECK_TYPES.get("llm-rubric").Config.model_validate(CHECK)
    cases = [Case(id=f"c{i}", vars={}, checks=(config,)) for i in range(CASES)]
    rng = random.Random(1)
    regressions = uncertain = naive = total = 0
    agreements = []
    for draw in range(DRAWS):
        base, cand = _side(rng, draw, "a", cases), _side(rng, draw, "b", cases)
        comparison = compare_runs(base, cand, alpha=ALPHA, embedding_model=None)
        regressions += len(comparison.regressions)
        uncertain += comparison.judge.judge_uncertain
        agreements.append(comparison.judge.agreement)
        for old, new in zip(base.cases, cand.cases):
            b = [sum(s.scores[0].judgments) for s in old.samples]
            c = [sum(s.scores[0].judgments) for s in new.samples]
            nb, nc = sum(b), sum(c)
            naive += nb > nc and fisher_exact(nb, K * J - nb, nc, K * J - nc) <= ALPHA
            total += 1
    rate = regressions / total
    print(f"A/A false regressions: {rate:.4f} judge-aware (judge-uncertain {uncertain}), "
          f"{naive / total:.4f} counting judgments as independent; agreement {sum(agreements) / DRAWS:.2f}")
    assert total == CASES * DRAWS
    assert rate <= ALPHA / 2 + 0.01  # a one-sided share of a two-sided level-alpha test, plus MC error
    assert 0.6 < sum(agreements) / DRAWS < 0.95  # the judge really is noisy
    assert naive / total > rate  # correlated judgments are not independent trials

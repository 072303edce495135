"""Pairwise judging for ``compare``: the baseline's and the candidate's answers to one case,
judged in both orders, J times each.

Sample i of the baseline is paired with sample i of the candidate. Each judgment is asked
once with the baseline shown as answer A and once with the candidate as A. A verdict that
changes with the order (for instance a judge that always prefers A) counts as a tie and is
reported as position bias; it never counts as a win or a loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.scoring.checks.base import ScoreItem
from harness.scoring.checks.judge import PairwiseConfig, _item_key
from harness.scoring.judge_parse import parse_winner
from harness.scoring.judging import (
    JudgeCall,
    JudgeSettings,
    current_env,
    judge_spec_text,
    load_template,
    render_judge_prompt,
    run_judge,
)
from harness.types import Case, CaseResult, Generation, is_errored

PairVerdict = Literal["candidate", "baseline", "tie", "position-bias", "judge-error"]


@dataclass(frozen=True)
class PairwiseResult:
    """One case's pairwise verdicts: ``pairs[i]`` holds sample pair i's J verdicts."""

    check: str
    judge: str
    pairs: tuple[tuple[PairVerdict, ...], ...]

    @property
    def verdicts(self) -> tuple[PairVerdict, ...]:
        """Every (pair, judgment) verdict."""
        return tuple(v for pair in self.pairs for v in pair)

    def count(self, verdict: PairVerdict) -> int:
        return sum(v == verdict for v in self.verdicts)

    @property
    def wins(self) -> int:
        """Judgments where the candidate's answer won in both orders."""
        return self.count("candidate")

    @property
    def losses(self) -> int:
        """Judgments where the baseline's answer won in both orders."""
        return self.count("baseline")

    @property
    def usable(self) -> int:
        """Judgments with a verdict in both orders (ties and position-biased ones included)."""
        return len(self.verdicts) - self.count("judge-error")


def pair_verdict(first: str | None, swapped: str | None) -> PairVerdict:
    """Combine the baseline-first verdict and the candidate-first verdict (each "A", "B", "tie")."""
    if first is None or swapped is None:
        return "judge-error"
    as_candidate = {"A": "baseline", "B": "candidate", "tie": "tie"}[first]
    as_candidate_swapped = {"A": "candidate", "B": "baseline", "tie": "tie"}[swapped]
    if as_candidate == as_candidate_swapped:
        return as_candidate  # type: ignore[return-value]
    if "tie" in (as_candidate, as_candidate_swapped):
        return "tie"  # one order saw a tie: no preference survives the swap
    return "position-bias"


def judge_pairs(case: Case, config: PairwiseConfig, baseline: CaseResult, candidate: CaseResult,
                prompt: str = "") -> PairwiseResult:
    """Judge min(K_baseline, K_candidate) answer pairs of one case in both orders."""
    base = [s.output for s in baseline.samples if not is_errored(s)]
    cand = [s.output for s in candidate.samples if not is_errored(s)]
    pairs = list(zip(base, cand))
    root = getattr(current_env().project, "root", None)
    template = load_template("judge-pairwise", config.template, ("output_a", "output_b"), root)
    calls = []
    for old, new in pairs:
        key = _item_key(ScoreItem(old + "\x1e" + new, case))
        variables = {"question": prompt, "criteria": config.criteria, "reference": case.reference or ""}
        calls.append(JudgeCall(key=key + "\x1fAB", prompt=render_judge_prompt(
            template, {**variables, "output_a": old, "output_b": new})))
        calls.append(JudgeCall(key=key + "\x1fBA", prompt=render_judge_prompt(
            template, {**variables, "output_a": new, "output_b": old})))
    settings = JudgeSettings(spec_text=judge_spec_text(config.judge, current_env()),
                             samples=config.judge_samples, temperature=config.judge_temperature,
                             max_new_tokens=config.max_new_tokens)
    label, answers = run_judge(calls, settings) if calls else ("", [])
    pair_verdicts = tuple(
        tuple(pair_verdict(_winner(first), _winner(swapped)) for first, swapped in zip(answers[n], answers[n + 1]))
        for n in range(0, len(answers), 2))
    return PairwiseResult(check=config.display_name, judge=label, pairs=pair_verdicts)


def _winner(generation: Generation) -> str | None:
    if generation.error is not None:
        return None
    answer = parse_winner(generation.output)
    return answer.winner if answer is not None else None


def judge_runs(cases: Sequence[Case], baseline: Sequence[CaseResult], candidate: Sequence[CaseResult],
               prompts: dict[str, str]) -> dict[str, PairwiseResult]:
    """Pairwise results per case id, for the cases that have a ``judge-pairwise`` check (the first)."""
    old = {c.case_id: c for c in baseline}
    new = {c.case_id: c for c in candidate}
    out = {}
    for case in cases:
        configs = [c for c in case.checks if c.type == "judge-pairwise"]
        if configs and case.id in old and case.id in new:
            out[case.id] = judge_pairs(case, configs[0], old[case.id], new[case.id], prompts.get(case.id, ""))
    return out

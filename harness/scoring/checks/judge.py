"""Model-graded checks (LLM as judge): ``llm-rubric``, ``g-eval``, ``factuality``, ``closedqa``,
and ``judge-pairwise`` (scored by ``compare``, see ``harness.scoring.pairwise``).

Each output is judged ``judge_samples`` times with its own seeds; the judgments are aggregated
(mean score against the threshold, else a majority of pass verdicts). An answer the judge gave
that cannot be read is a *judge error*: the score is marked ``error`` with verdict
``judge-error``, so the sample is left out (neither a fail nor a model error).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from statistics import fmean
from typing import Any, ClassVar

from pydantic import Field

from harness.errors import ConfigError
from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type
from harness.scoring.judge_parse import JudgeAnswer, parse_choice, parse_pass, parse_score
from harness.scoring.judging import (
    JudgeCall,
    JudgeSettings,
    current_env,
    judge_spec_text,
    load_template,
    render_judge_prompt,
    run_judge,
)
from harness.types import JUDGE_ERROR, PASS_CUTOFF, Generation, Score

GEVAL_TOKENS = ("1", "2", "3", "4", "5")


class JudgeConfig(CheckConfig):
    """Fields every judge check accepts."""

    judge: str | None = None                      # model spec or name; default: harness.yaml `judge`, else smollm2
    judge_samples: int = Field(default=1, ge=1, le=50)
    judge_temperature: float | None = Field(default=None, ge=0.0)  # default 0, or 0.7 when judge_samples > 1
    template: str | None = None                   # a replacement Jinja template (path from the project root)
    max_new_tokens: int = Field(default=128, ge=1, le=4096)

    @property
    def sampled(self) -> bool:
        """The judge samples (temperature > 0): the same output can pass or fail by chance."""
        if self.judge_temperature is not None:
            return self.judge_temperature > 0
        return self.judge_samples > 1


class JudgeScorer(Scorer):
    """Renders one judge prompt per output, asks the judge J times, aggregates the answers."""

    required_vars: ClassVar[tuple[str, ...]] = ("output",)
    score_tokens: ClassVar[tuple[str, ...]] = ()

    def variables(self, item: ScoreItem) -> dict[str, Any]:
        """The template's variables for one output (``question``, ``output``, ``reference``...)."""
        return {"question": item.prompt, "output": item.output, "reference": item.case.reference or ""}

    def read(self, generation: Generation) -> JudgeAnswer | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def judgment(self, answer: JudgeAnswer, generation: Generation) -> tuple[bool, float | None]:
        """One judgment's pass verdict and value (0..1, None when it gave none)."""
        raise NotImplementedError  # pragma: no cover - overridden

    def aggregate_pass(self, passes: Sequence[bool], values: Sequence[float]) -> bool:
        """Pass when at least half the judgments passed (``PASS_CUTOFF``)."""
        return fmean(passes) >= PASS_CUTOFF

    def settings(self) -> JudgeSettings:
        cfg: JudgeConfig = self.config  # type: ignore[assignment]
        return JudgeSettings(spec_text=judge_spec_text(cfg.judge, current_env()), samples=cfg.judge_samples,
                             temperature=cfg.judge_temperature, max_new_tokens=cfg.max_new_tokens,
                             score_tokens=self.score_tokens)

    def template(self):
        cfg: JudgeConfig = self.config  # type: ignore[assignment]
        root = getattr(current_env().project, "root", None)
        return load_template(self.type_name, cfg.template, self.required_vars, root)

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        template = self.template()
        calls = [JudgeCall(key=_item_key(item), prompt=render_judge_prompt(template, self.variables(item)))
                 for item in items]
        label, answers = run_judge(calls, self.settings())
        return [self._combine(label, gens) for gens in answers]

    def _combine(self, label: str, gens: Sequence[Generation]) -> Score:
        passes, values, reasons, unusable = [], [], [], 0
        for gen in gens:
            answer = self.read(gen) if gen.error is None else None
            if answer is None:
                unusable += 1
                continue
            ok, value = self.judgment(answer, gen)
            passes.append(ok)
            if value is not None:
                values.append(value)
            reasons.append(answer.reason)
        if not passes:
            first = gens[0].error or gens[0].output if gens else ""
            return self.make(False, f"judge error: {label} gave no usable answer: {first[:120]!r}", error=True,
                             verdict=JUDGE_ERROR, judge=label)
        value = fmean(values) if values else None
        passed = self.aggregate_pass(passes, values)
        reason = f"{label}: {sum(passes)}/{len(passes)} judgment(s) pass"
        if value is not None:
            reason += f", score {value:.2f}"
        if unusable:
            reason += f"; {unusable} unusable"
        if reasons and reasons[0]:
            reason += f" — {' '.join(reasons[0].split())[:200]}"
        threshold = getattr(self.config, "threshold", None)
        return self.make(passed, reason, value, threshold, judgments=tuple(passes), judge=label)


def _item_key(item: ScoreItem) -> str:
    digest = hashlib.sha256(item.output.encode()).hexdigest()[:16]
    return f"{item.case.id}\x1f{digest}"


class RubricConfig(JudgeConfig):
    rubric: str
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)


@check_type("llm-rubric")
class LLMRubric(JudgeScorer):
    """The judge scores the output against a rubric (0..1) and says pass/fail; the score decides."""

    Config = RubricConfig
    required_vars = ("output", "rubric")

    def variables(self, item: ScoreItem) -> dict[str, Any]:
        return {**super().variables(item), "rubric": self.config.rubric}  # type: ignore[attr-defined]

    def read(self, generation: Generation) -> JudgeAnswer | None:
        return parse_score(generation.output, 0.0, 1.0)

    def judgment(self, answer: JudgeAnswer, generation: Generation) -> tuple[bool, float | None]:
        threshold = self.config.threshold  # type: ignore[attr-defined]
        if answer.score is not None:
            return answer.score >= threshold, answer.score
        return bool(answer.passed), float(bool(answer.passed))

    def aggregate_pass(self, passes: Sequence[bool], values: Sequence[float]) -> bool:
        threshold = self.config.threshold  # type: ignore[attr-defined]
        return fmean(values) >= threshold if values else fmean(passes) >= PASS_CUTOFF


class GEvalConfig(JudgeConfig):
    criteria: str
    steps: list[str] = []
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    max_new_tokens: int = Field(default=8, ge=1, le=4096)


@check_type("g-eval")
class GEval(JudgeScorer):
    """A 1-5 rating on criteria (and evaluation steps), normalised to 0..1. Where the backend gives
    the probabilities of the score tokens (``meta.score_probs``), the score is their expectation."""

    Config = GEvalConfig
    required_vars = ("output", "criteria")
    score_tokens = GEVAL_TOKENS

    def variables(self, item: ScoreItem) -> dict[str, Any]:
        cfg: GEvalConfig = self.config  # type: ignore[assignment]
        return {**super().variables(item), "criteria": cfg.criteria, "steps": list(cfg.steps)}

    def read(self, generation: Generation) -> JudgeAnswer | None:
        weighted = probability_weighted(generation.meta.get("score_probs"))
        if weighted is not None:
            return JudgeAnswer(score=weighted, reason=f"probability-weighted rating {weighted:.2f}")
        return parse_score(generation.output, 1.0, 5.0)

    def judgment(self, answer: JudgeAnswer, generation: Generation) -> tuple[bool, float | None]:
        if answer.score is None:
            return bool(answer.passed), float(bool(answer.passed))
        value = (answer.score - 1.0) / 4.0
        return value >= self.config.threshold, value  # type: ignore[attr-defined]

    def aggregate_pass(self, passes: Sequence[bool], values: Sequence[float]) -> bool:
        return fmean(values) >= self.config.threshold if values else fmean(passes) >= PASS_CUTOFF  # type: ignore


def probability_weighted(probs: Any) -> float | None:
    """Expected rating from ``{"1": p1, ..., "5": p5}``; None when absent or all zero."""
    if not isinstance(probs, dict):
        return None
    pairs = [(float(k), float(v)) for k, v in probs.items() if k in GEVAL_TOKENS and v is not None]
    total = sum(p for _, p in pairs)
    return sum(k * p for k, p in pairs) / total if total > 0 else None


class FactualityConfig(JudgeConfig):
    value: str | None = None                      # explicit reference; defaults to the case's `reference`
    pass_choices: list[str] = ["A", "B", "C", "E"]


@check_type("factuality")
class Factuality(JudgeScorer):
    """promptfoo's factuality: the judge classifies the output against the reference (A-E);
    (D), a disagreement, fails by default."""

    Config = FactualityConfig
    uses_reference = True
    required_vars = ("output", "reference")

    def variables(self, item: ScoreItem) -> dict[str, Any]:
        ref = self.expected(item)
        return {**super().variables(item), "reference": ref or ""}

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        return _with_reference(self, items)

    def read(self, generation: Generation) -> JudgeAnswer | None:
        return parse_choice(generation.output)

    def judgment(self, answer: JudgeAnswer, generation: Generation) -> tuple[bool, float | None]:
        ok = answer.choice in self.config.pass_choices  # type: ignore[attr-defined]
        return ok, float(ok)


class ClosedQAConfig(JudgeConfig):
    criteria: str = "The answer is correct and agrees with the reference answer."
    value: str | None = None


@check_type("closedqa")
class ClosedQA(JudgeScorer):
    """promptfoo's closedqa: does the output meet the criterion, given the question and reference?"""

    Config = ClosedQAConfig
    uses_reference = True
    required_vars = ("output", "criteria")

    def variables(self, item: ScoreItem) -> dict[str, Any]:
        cfg: ClosedQAConfig = self.config  # type: ignore[assignment]
        ref = self.expected(item)
        return {**super().variables(item), "reference": ref or "", "criteria": cfg.criteria}

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        return _with_reference(self, items)

    def read(self, generation: Generation) -> JudgeAnswer | None:
        return parse_pass(generation.output)

    def judgment(self, answer: JudgeAnswer, generation: Generation) -> tuple[bool, float | None]:
        return bool(answer.passed), float(bool(answer.passed))


def _with_reference(scorer: JudgeScorer, items: Sequence[ScoreItem]) -> list[Score]:
    """Judge the items that have a reference; the others are scorer errors (not judge errors)."""
    explicit = getattr(scorer.config, "value", None)
    todo = [i for i, it in enumerate(items) if explicit is not None or it.case.reference is not None]
    judged = dict(zip(todo, JudgeScorer.score(scorer, [items[i] for i in todo]) if todo else []))
    return [judged.get(i) or scorer.make(False, "no reference to compare with", error=True)
            for i in range(len(items))]


class PairwiseConfig(JudgeConfig):
    criteria: str = "Which answer is more helpful, correct and faithful to the question?"


@check_type("judge-pairwise")
class JudgePairwise(Scorer):
    """Compares the baseline's and the candidate's answers in ``compare`` (both orders);
    a plain run skips it. See ``harness.scoring.pairwise``."""

    Config = PairwiseConfig
    compare_only = True
    required_vars: ClassVar[tuple[str, ...]] = ("output_a", "output_b")


def preflight_judges(cases: Sequence[Any], source: str) -> None:
    """Before anything is generated: every judge resolves and every judge template loads.

    Raises ConfigError naming the suite file (or the template file) and the field.
    """
    from harness.generation.backends import create_backend
    from harness.scoring.judging import resolve_judge

    env = current_env()
    root = getattr(env.project, "root", None)
    seen: set[tuple[str, str | None, str]] = set()
    for case in cases:
        for config in case.checks:
            if not isinstance(config, JudgeConfig):
                continue
            spec_text = judge_spec_text(config.judge, env)
            where = f"cases.{case.id}.checks.{config.display_name}"
            if (spec_text, config.template, config.type) in seen:
                continue
            seen.add((spec_text, config.template, config.type))
            spec = resolve_judge(spec_text, env, file=source, field_name=f"{where}.judge")
            try:
                create_backend(spec)  # validates the judge's options without loading it
            except ConfigError as exc:
                raise ConfigError(f"judge '{spec_text}': {exc.bare_message}", file=source,
                                  field=f"{where}.judge") from None
            kind = CHECK_TYPES_REQUIRED.get(config.type)
            if kind is not None:
                load_template(config.type, config.template, kind, root)


CHECK_TYPES_REQUIRED: dict[str, tuple[str, ...]] = {
    cls.type_name: cls.required_vars for cls in (LLMRubric, GEval, Factuality, ClosedQA, JudgePairwise)}

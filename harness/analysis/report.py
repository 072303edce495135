"""The report contract: pydantic models of what ``harness run|compare|check|calibrate --json`` write.

Every producer builds these models (``harness.analysis.report_build``) and every consumer
(terminal, JSON, JUnit, Markdown, HTML, store, dashboard, pytest plugin) reads them. Field
names are the stable JSON names documented in ``docs/report-format.md``; the JSON Schema in
``docs/schema/`` is generated from here: ``python -m harness.analysis.report``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, RootModel

from harness.analysis.report_judge import CaseJudgeReport, JudgeCalibrationReport, SuiteJudgeReport
from harness.analysis.report_run import (  # re-exported: the run report is part of this contract
    JsonObject,
    RunCase,
    RunCheck,
    RunParaphrase,
    RunReport,
    RunSuite,
    _Model,
)
from harness.types import CaseStatus, Verdict

__all__ = ["JsonObject", "RunCase", "RunCheck", "RunParaphrase", "RunReport", "RunSuite"]  # and the models below

# ---------------------------------------------------------------- comparison report


class Side(_Model):
    """One version (baseline or candidate) of a suite comparison."""

    model: str = Field(description="Model label.")
    prompt_version: str = Field(description="Prompt template version.")
    pass_rate: float = Field(description="Mean case pass rate over compared cases.")
    samples: int = Field(description="Samples per case requested.")
    run_id: str | None = Field(default=None, description="Store id of the run.")
    complete: bool = Field(default=True, description="False when the run did not complete.")
    model_fingerprint: JsonObject = Field(default_factory=dict, description="What identifies the model.")


class Discordant(_Model):
    baseline_only_pass: int = Field(description="Compared cases passed (>= 0.5) only on the baseline.")
    candidate_only_pass: int = Field(description="Compared cases passed (>= 0.5) only on the candidate.")


class CheckDeltaReport(_Model):
    """Mean per-case change of one numeric check."""

    cases: int
    baseline_mean: float | None
    candidate_mean: float | None
    delta: float | None
    ci95: list[float | None] = Field(description="Paired bootstrap 95% CI of delta.")


class PowerReport(_Model):
    """What this comparison could detect."""

    cases: int = Field(description="Compared cases.")
    samples: int = Field(description="Smallest samples per case on either side.")
    alpha: float = Field(description="Per-case significance level.")
    power: float = Field(description="Power used for min_detectable_drop (0.8).")
    min_detectable_drop: float | None = Field(description="Suite pass-rate drop detectable at that power.")
    min_case_drop: float | None = Field(description="Smallest per-case drop the status rule can flag.")
    text: str = Field(description="The power statement in words (printed by the terminal reporter).")


class SuiteStatsReport(_Model):
    pass_rate_delta: float | None = Field(description="Mean candidate - baseline case pass rate.")
    ci95: list[float | None] = Field(description="Cluster-robust 95% CI of pass_rate_delta (t, clusters - 1 df).")
    paired_p: float | None = Field(default=None, description="Two-sided cluster-robust paired t test of no change.")
    clusters: int | None = Field(default=None, description="Effective number of clusters (groups, else cases).")
    mcnemar_p: float | None = Field(description="Exact McNemar p-value on passed/failed cases.")
    cases: int = Field(description="Compared cases (matched, scorable on both sides).")
    discordant: Discordant
    status_counts: dict[CaseStatus, int] = Field(description="Cases per status.")
    flaky_share: float | None = Field(description="Share of compared cases that are flaky.")
    check_deltas: dict[str, CheckDeltaReport] = Field(default_factory=dict)
    power: PowerReport


class ConsistencySummaryReport(_Model):
    mean_agreement: float | None
    mean_pairwise_similarity: float | None
    pass_at_k: dict[str, float | None] = Field(description="Mean unbiased pass@k over scored cases, by k.")
    pass_hat_k: dict[str, float | None] = Field(description="Mean pass^k (all k pass) over scored cases.")
    paraphrase_pass_agreement: float | None
    paraphrase_similarity: float | None


class SuiteConsistency(_Model):
    baseline: ConsistencySummaryReport
    candidate: ConsistencySummaryReport
    flaky_share: float | None


class MostDrifted(_Model):
    id: str
    drift: float | None


class DriftSummaryReport(_Model):
    basis: str = Field(description="'similarity' (embeddings) or 'rouge-l'.")
    mean: float | None
    quantiles: dict[str, float | None]
    most_drifted: list[MostDrifted]
    refusal_increases: list[str]
    refusal_decreases: list[str]
    json_validity_losses: list[str]
    json_validity_gains: list[str]

    @property
    def median(self) -> float | None:
        """The median drift (``quantiles.p50``); None without drift values."""
        return self.quantiles.get("p50")


class Unmatched(_Model):
    baseline_only: list[str] = Field(description="Case ids missing from the candidate run.")
    candidate_only: list[str] = Field(description="Case ids new in the candidate run.")


class CaseCheck(_Model):
    """One check on one case, both versions."""

    type: str
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    baseline_value: float | None
    candidate_value: float | None
    baseline_reason: str = ""
    candidate_reason: str = ""


class SampleCount(_Model):
    n: int = Field(description="Scorable samples.")
    passed: int = Field(description="Scorable samples that passed.")


class PerSide(_Model):
    baseline: SampleCount
    candidate: SampleCount
    rounds: int | None = Field(default=None, description="--samples auto: rounds drawn (samples per side).")
    stopped_early: bool | None = Field(
        default=None, description="--samples auto: fewer rounds than --max-samples (settled, or the "
                                  "comparison stopped early); null otherwise.")
    discordant_rounds: list[int] | None = Field(
        default=None, description="--samples auto: [baseline-only, candidate-only] passing rounds.")


class Errors(_Model):
    baseline: list[str]
    candidate: list[str]


class DriftDetail(_Model):
    similarity: float | None
    rouge_l: float | None
    length_delta: float | None
    length_ratio: float | None
    json_valid_baseline: float | None
    json_valid_candidate: float | None
    refusal_baseline: float | None
    refusal_candidate: float | None


class CaseConsistencyReport(_Model):
    agreement: float | None
    distinct_answers: int
    mean_pairwise_similarity: float | None
    pass_at_k: dict[str, float | None]
    pass_hat_k: dict[str, float | None]


class CaseConsistencyPair(_Model):
    baseline: CaseConsistencyReport
    candidate: CaseConsistencyReport


class ParaphraseReport(_Model):
    index: int
    n: int
    passed: int
    pass_rate: float | None
    pass_agreement: float | None
    similarity: float | None
    outputs: list[str]


class ParaphrasePair(_Model):
    baseline: list[ParaphraseReport]
    candidate: list[ParaphraseReport]


class CaseReport(_Model):
    """One case compared."""

    id: str
    status: CaseStatus = Field(description="regression, improvement, stable_pass, stable_fail or flaky.")
    baseline_pass_rate: float | None = Field(description="Passed / scorable samples; null if none scorable.")
    candidate_pass_rate: float | None = Field(description="Passed / scorable samples; null if none scorable.")
    drift: float | None = Field(description="Output drift (1 - similarity).")
    scores: dict[str, CaseCheck] = Field(default_factory=dict, description="Per check name.")
    baseline_outputs: list[str]
    candidate_outputs: list[str]
    tags: list[str]
    p_value: float | None = Field(description="Two-sided Fisher exact p-value.")
    p_drop: float | None = Field(default=None, description="One-sided p-value of a drop: Fisher's exact test, "
                                 "or under --samples auto the exact test over the case's two strata of rounds.")
    p_holm: float | None = Field(default=None, description="Holm-adjusted p_value over the suite's compared cases.")
    q_bh: float | None = Field(default=None, description="Benjamini-Hochberg q-value of p_value, same family.")
    sampled: bool = Field(default=False, description="Decoded with temperature > 0 on either side.")
    cluster: str | None = Field(default=None, description="The case's group (else its id).")
    samples: PerSide
    errors: Errors
    drift_detail: DriftDetail
    consistency: CaseConsistencyPair
    paraphrases: ParaphrasePair
    judge: CaseJudgeReport | None = Field(default=None, description="Judge checks only (docs/judges.md).")


class DecisionReport(_Model):
    """The pass-rate rule's three-way answer (``max_pass_rate_drop``)."""

    result: Literal["pass", "fail", "inconclusive"] = Field(
        description="fail: a drop beyond the allowed one is demonstrated; pass: non-inferiority shown.")
    allowed_drop: float = Field(description="The policy's max_pass_rate_drop.")
    alpha: float = Field(description="One-sided level of the bounds (the suite's share of alpha).")
    lower: float = Field(description="One-sided lower confidence bound of pass_rate_delta.")
    upper: float = Field(description="One-sided upper confidence bound of pass_rate_delta.")
    cases_needed: int | None = Field(default=None, description="inconclusive: cases that would decide it.")
    samples_needed: int | None = Field(default=None, description="inconclusive: K that would decide it.")
    text: str = Field(default="", description="inconclusive: what would decide it, in words.")

    def summary(self) -> str:
        """The answer in words, as reports print it."""
        out = (f"Pass-rate rule: {self.result} (allowed drop {self.allowed_drop:.1%}; one-sided "
               f"{1 - self.alpha:.1%} bounds {self.lower:+.1%} to {self.upper:+.1%})")
        return out + (f"; to decide: {self.text}" if self.text else "")


class SamplingReport(_Model):
    """``--samples auto``: how many samples the comparison drew, and which cases stopped early."""

    min_samples: int = Field(description="--min-samples: rounds every case draws.")
    max_samples: int = Field(description="--max-samples: most rounds a case draws.")
    rounds: int = Field(description="Most rounds any case drew.")
    cases: int = Field(description="Cases sampled in rounds.")
    stopped_early: int = Field(description="Cases that drew fewer rounds than --max-samples.")
    settled: int = Field(default=0, description="Of those, cases settled (all samples of both sides agree).")
    stop_round: int = Field(default=0, description="The round (look) at which the comparison stopped.")
    stop_reason: str = Field(default="", description="efficacy, futility (interim looks), settled or max.")
    alpha_share: float = Field(default=1.0, description="The share of the suite's alpha the gate tested at.")
    generations: int = Field(description="Main-prompt samples drawn, both sides.")
    fixed_generations: int = Field(description="What fixed K = --max-samples would have drawn.")
    text: str = Field(description="The summary in words, with the cases stopped early and their rounds.")


class SuiteReport(_Model):
    """One suite compared."""

    id: str
    verdict: Verdict | None = Field(description="The gate's verdict for this suite.")
    reasons: list[str] = Field(description="The gate's reasons for this suite.")
    decision: DecisionReport | None = Field(default=None, description="The pass-rate rule's answer.")
    sampling: SamplingReport | None = Field(default=None, description="--samples auto only.")
    variable: str = Field(description="'model' or 'prompt': what the comparison varies.")
    alpha: float
    baseline: Side
    candidate: Side
    stats: SuiteStatsReport
    consistency: SuiteConsistency
    drift: DriftSummaryReport
    warnings: list[str]
    confounders: list[str]
    unmatched: Unmatched
    cases: list[CaseReport]
    judge: SuiteJudgeReport | None = Field(default=None, description="Judge checks only (docs/judges.md).")


class PlannedCase(_Model):
    id: str
    reasons: list[str]


class SuitePlanReport(_Model):
    id: str
    status: str
    path: str | None
    base_path: str | None
    reasons: list[str]
    note: str | None
    run: list[PlannedCase]
    unchanged: list[str]
    removed: list[str]


class BaseRef(_Model):
    ref: str
    commit: str
    how: str = Field(description="'given' or 'merge base with <branch>'.")


class ChangedFile(_Model):
    kind: str
    path: str
    old_path: str | None


class CheckSection(_Model):
    """``harness check`` only: what was compared against and what the plan ran."""

    base: BaseRef
    model: str | None
    summary: str
    nothing_to_run: bool
    suites: list[SuitePlanReport]
    unused_prompts: list[str]
    changed_files: list[ChangedFile]


class ComparisonReport(_Model):
    """``harness compare --json`` (and ``harness check --json`` with ``new_cases`` and ``check``)."""

    verdict: Verdict = Field(description="Overall gate verdict: the worst suite verdict.")
    reasons: list[str] = Field(description="Every fail reason, then every warn reason.")
    suites: list[SuiteReport]
    comparison_id: str | None = Field(default=None, description="Store id, when stored.")
    new_cases: list[RunSuite] | None = Field(default=None, description="check: runs of cases new to a suite.")
    check: CheckSection | None = Field(default=None, description="check: the base revision and the plan.")


# ---------------------------------------------------------------- calibration report
class CaseNoiseReport(_Model):
    case_id: str
    p: float = Field(description="Pooled pass rate over every sample of every repeat.")
    false_regression: float = Field(description="P(flagged as a regression) at this K and alpha.")


class CalibrationSuite(_Model):
    suite_id: str
    samples: int
    alpha: float
    repeats: int
    observed_regressions: int
    observed_improvements: int
    observed_false_alarm_rate: float
    expected_regressions: float
    false_alarm_rate: float
    target: float
    samples_needed: int | None
    cases: list[CaseNoiseReport]
    text: str
    gate_fails_observed: int = Field(default=0, description="A/A comparisons the gate FAILed.")
    gate_false_fail_observed: float = Field(default=0.0, description="Their share of the repeats.")
    gate_false_fail_estimated: float = Field(
        default=0.0, description="Share of simulated A/A comparisons the gate FAILs at this K (policy applied).")
    gate_samples_needed: int | None = Field(
        default=None, description="Smallest K whose simulated false-FAIL rate meets the target.")
    gate_draws: int = Field(default=0, description="Simulated A/A comparisons behind the estimate.")


class CalibrationReport(RootModel[list[CalibrationSuite]]):
    """``harness calibrate --json``: one object per suite."""


TOP_LEVEL: dict[str, type[BaseModel]] = {"run": RunReport, "comparison": ComparisonReport,
                                         "calibration": CalibrationReport, "judge-calibration": JudgeCalibrationReport}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schema"


def schema_text(model: type[BaseModel]) -> str:
    """The JSON Schema of one top-level report, as committed in docs/schema."""
    return json.dumps(model.model_json_schema(mode="serialization"), indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Regenerate docs/schema/<name>.schema.json."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in TOP_LEVEL.items():
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(model), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(written)

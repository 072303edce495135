"""Shared pieces of the report contract and the run report (``harness run --json``).

Part of the contract documented in ``docs/report-format.md``; import the models from
``harness.analysis.report``, which re-exports these.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

JsonObject = dict[str, JsonValue]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- run report


class RunCheck(_Model):
    """One check on one case over its scorable samples."""

    type: str = Field(description="Check type (registry name, e.g. 'rouge-l').")
    pass_rate: float = Field(description="Share of scorable samples this check passed.")
    mean: float | None = Field(description="Mean numeric value over samples; null when the check has none.")
    threshold: float | None = Field(default=None, description="The check's threshold, if any.")
    reason: str = Field(default="", description="First failing sample's reason, else the first sample's.")
    verdicts: list[str] = Field(default_factory=list, description="Distinct detail verdicts (code-tests).")


class RunParaphrase(_Model):
    """One paraphrase of a case in a run."""

    outputs: list[str] = Field(description="Outputs of the paraphrase's samples.")
    pass_rate: float | None = Field(description="Share of its scorable samples that passed; null if none.")


class RunCase(_Model):
    """One case of one run."""

    id: str = Field(description="Case id.")
    pass_rate: float | None = Field(
        description="Passed / scorable samples; errored samples are left out; null when none is scorable.")
    passed: bool = Field(description="pass_rate >= 0.5 (the PASS_CUTOFF).")
    n_samples: int = Field(description="Main samples generated, errored ones included.")
    n_passed: int = Field(description="Scorable main samples that passed.")
    tags: list[str] = Field(default_factory=list, description="Case tags.")
    reference: str | None = Field(default=None, description="The case's reference answer.")
    outputs: list[str] = Field(description="Output of every main sample, in sample order.")
    errors: list[str] = Field(default_factory=list, description="Infrastructure errors of the samples.")
    scores: dict[str, RunCheck] = Field(default_factory=dict, description="Per check name: its summary.")
    paraphrases: list[RunParaphrase] = Field(default_factory=list, description="Paraphrase results.")


class RunSuite(_Model):
    """One suite run on one model."""

    id: str = Field(description="Suite id.")
    model: str = Field(description="Model label.")
    prompt_version: str = Field(description="Prompt template version.")
    pass_rate: float | None = Field(description="Mean case pass rate over cases that have one.")
    complete: bool = Field(description="False when some generations failed.")
    run_id: str | None = Field(default=None, description="Store id of the run (null without a store).")
    samples: int = Field(description="Samples per case requested.")
    suite_hash: str | None = Field(default=None, description="Content hash of the suite.")
    prompt_hash: str | None = Field(default=None, description="Content hash of the prompt.")
    model_fingerprint: JsonObject = Field(default_factory=dict, description="What identifies the model.")
    params: JsonObject = Field(default_factory=dict, description="Generation parameters of the first case.")
    check_pass_rates: dict[str, float] = Field(default_factory=dict,
                                               description="Per check: share of scorable samples that passed.")
    pass_at_k: dict[str, float] | None = Field(default=None, description=(
        "With samples > 1: unbiased pass@k averaged over scored cases, keyed by k, for every k the "
        "suite's scored cases all have (same as the comparison's consistency.pass_at_k)."))
    status: str | None = Field(default=None, description="Stored runs only: 'complete' or 'incomplete'.")
    started_at: str | None = Field(default=None, description="Stored runs only: start time (ISO 8601).")
    finished_at: str | None = Field(default=None, description="Stored runs only: end time (ISO 8601).")
    cases: list[RunCase] = Field(description="One entry per case.")


class RunReport(_Model):
    """``harness run --json``: one object per suite."""

    suites: list[RunSuite]

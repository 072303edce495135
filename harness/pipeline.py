"""The pipeline, one call per stage:

suite -> render -> generate (cached) -> score -> [compare -> gate] -> report/store
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from harness import collector
from harness.analysis.compare import SuiteComparison, compare_runs
from harness.analysis.gate import GateResult, Policy, evaluate
from harness.analysis.looks import Stop, SuiteGate
from harness.analysis.report import ComparisonReport
from harness.analysis.report_build import build_report
from harness.analysis.sequential import SequentialDesign
from harness.errors import CodeExecutionNotAllowed, InfrastructureError
from harness.generation.backends import ModelSpec
from harness.generation.cache import GenerationCache
from harness.generation.generate import (
    GenerateOptions,
    build_requests,
    case_params,
    generate,
    overridden_model_params,
)
from harness.generation.progress import phase, run_progress
from harness.generation.runinfo import host_info, library_versions, now_iso
from harness.project.config import ProjectConfig
from harness.project.suites import Suite
from harness.scoring.checks.judge import preflight_judges
from harness.scoring.judging import JudgeEnv, judging
from harness.scoring.pairwise import judge_runs
from harness.scoring.sandbox import code_execution_allowed
from harness.scoring.stream import CaseStream
from harness.types import RunInfo, RunResult

if TYPE_CHECKING:
    from harness.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How to run: samples per case, seed, cache, code execution, executor."""

    samples: int = 1
    seed: int = 0
    use_cache: bool = True
    allow_code: bool = False
    progress: bool = True
    executor: str = "local"
    executor_address: str | None = None
    workers: int | None = None
    paraphrases: bool = True
    params: dict[str, Any] = field(default_factory=dict)   # --param overrides: beat every file
    first_sample: int = 0          # generate sample indices first_sample..samples-1 only (rounds)
    design: SequentialDesign | None = None   # --samples auto: compare samples in rounds
    candidate_seed: int | None = None   # compare --candidate-seed: the candidate side samples with its own seed


def options_from_project(project: ProjectConfig, **overrides: Any) -> RunOptions:
    base = RunOptions(samples=project.samples, seed=project.seed, allow_code=project.allow_code,
                      executor=project.executor, executor_address=project.ray_address, workers=project.workers)
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def ensure_code_allowed(suite: Suite, options: RunOptions) -> None:
    if "code-tests" in suite.check_types and not (suite.allow_code or options.allow_code):
        raise CodeExecutionNotAllowed(
            f"suite '{suite.id}' ({suite.path}) has code-tests checks, which execute model output; "
            "allow it with --allow-code on the command line or `allow_code: true` in the suite")


def run_suite(suite: Suite, spec: ModelSpec, project: ProjectConfig, options: RunOptions,
              case_ids: set[str] | None = None, store: Store | None = None, side: str = "",
              backend: Any = None) -> RunResult:
    """Generate (cached) and score one suite on one model; record it in the store.

    ``side`` ("baseline" or "candidate" in a comparison) names the run on its progress bar.

    The run is registered as incomplete before anything is generated and marked
    complete only at the end, so an interrupted run is never taken for a finished one.
    ``backend`` reuses a backend built for ``spec`` (rounds keep their model loaded).
    """
    ensure_code_allowed(suite, options)
    label = " · ".join(x for x in (suite.id, spec.label, side) if x)
    with run_progress(label, options.progress):
        return _run_suite(suite, spec, project, options, case_ids, store, backend)


def _run_suite(suite: Suite, spec: ModelSpec, project: ProjectConfig, options: RunOptions,
               case_ids: set[str] | None, store: Store | None, backend: Any = None) -> RunResult:
    from harness.generation.backends import create_backend

    cases = [c for c in suite.cases if case_ids is None or c.id in case_ids]
    backend = backend if backend is not None else create_backend(spec)
    env = judge_env(project, options, spec, backend.fingerprint())
    with judging(env):
        preflight_judges(cases, str(suite.path))
    requests = build_requests(suite, cases, spec, options.samples, options.seed, options.paraphrases,
                              options.params)
    requests = [r for r in requests if r.sample >= options.first_sample]
    requests = _drop_unrecorded_paraphrases(backend, requests, warn=options.first_sample == 0)
    _warn_identical_samples(suite, cases, spec, options)
    _warn_overridden_model_params(suite, cases, spec, options)
    info = _run_info(suite, cases, spec, options, backend.fingerprint())
    run_id = store.start_run(info) if store is not None else None
    save = (lambda results: store.add_case_results(run_id, results)) if store is not None else None
    stream = CaseStream(cases, requests, save)  # finished cases are scored and stored while others generate
    cache = GenerationCache(project.cache_dir) if options.use_cache else None
    try:
        with code_execution_allowed(suite.allow_code or options.allow_code), judging(env):
            outcome = generate(requests, spec, cache, GenerateOptions(
                use_cache=options.use_cache, progress=options.progress, executor=options.executor,
                executor_address=options.executor_address, workers=options.workers,
                description=f"{suite.id} · {spec.label}"), backend=backend, sink=stream)
            phase("scoring")
            case_results = stream.finish(outcome.generations)
    finally:
        if cache is not None:
            cache.close()
    complete = outcome.failure is None and not any(c.errors for c in case_results)
    result = RunResult(info=replace(info, finished_at=now_iso()), cases=tuple(case_results),
                       complete=complete, run_id=run_id)
    if store is not None:
        store.finish_run(run_id, complete=complete, pass_rate=result.pass_rate)
    if outcome.failure is not None:
        raise InfrastructureError(f"{spec.label} failed on suite '{suite.id}': {outcome.failure} "
                                  f"({outcome.cached + outcome.generated} of {len(requests)} generations kept)")
    return result


def judge_env(project: ProjectConfig, options: RunOptions, spec: ModelSpec,
              fingerprint: dict[str, Any]) -> JudgeEnv:
    """What judge checks use in this run: the project's judge and cache, and the model under test."""
    return JudgeEnv(project=project, use_cache=options.use_cache, progress=options.progress, seed=options.seed,
                    subject=spec.label, subject_fingerprint=dict(fingerprint))


def _run_info(suite: Suite, cases: Sequence[Any], spec: ModelSpec, options: RunOptions,
              fingerprint: dict[str, Any]) -> RunInfo:
    params = case_params(suite, cases[0], spec, options.params).as_dict() if cases else {}
    return RunInfo(suite_id=suite.id, suite_hash=suite.content_hash, prompt_hash=suite.prompt.content_hash,
                   prompt_version=suite.prompt.version, model_spec=spec.label, model_fingerprint=fingerprint,
                   params=params, seed=options.seed, samples=options.samples, versions=library_versions(),
                   host=host_info(), started_at=now_iso())


def _drop_unrecorded_paraphrases(backend: Any, requests: list[Any], warn: bool = True) -> list[Any]:
    """Recorded outputs (replay) may lack paraphrase answers: those are skipped, not errors; a missing
    main answer is an error before the run is registered."""
    has = getattr(backend, "has", None)
    if has is None:
        return requests
    kept = [r for r in requests if r.variant == "main" or has(r)]
    backend.check(kept)  # a missing output fails here, before the run is registered
    if warn:
        backend.warn_unused(kept)
    return kept


def run_suites(suites: Sequence[Suite], spec: ModelSpec, project: ProjectConfig, options: RunOptions,
               store: Store | None = None) -> list[RunResult]:
    for suite in suites:
        ensure_code_allowed(suite, options)
    return [run_suite(s, spec, project, options, store=store) for s in suites]


def _warn_identical_samples(suite: Suite, cases: Sequence[Any], spec: ModelSpec, options: RunOptions) -> None:
    if options.first_sample > 0:   # a later round of --samples auto: said in the first one
        return
    if options.samples > 1 and cases and case_params(suite, cases[0], spec, options.params).greedy:
        phase(f"temperature 0: each case is generated once and reused for its {options.samples} samples "
              "(set params.temperature > 0 to measure consistency)")



def judge_pairwise(suite: Suite, base_run: RunResult, cand_run: RunResult, project: ProjectConfig,
                   options: RunOptions, candidate: ModelSpec) -> dict[str, Any]:
    """``judge-pairwise`` verdicts per case (both orders, J judgments); empty without such checks."""
    if "judge-pairwise" not in suite.check_types:
        return {}
    from harness.project.prompts import render

    prompts = {c.id: render(suite.prompt, c.vars, c.id).text for c in suite.cases}
    fingerprint = dict(cand_run.info.model_fingerprint)
    with judging(judge_env(project, options, candidate, fingerprint)):
        return judge_runs(suite.cases, base_run.cases, cand_run.cases, prompts)


def cite_calibration(comparison: SuiteComparison, store: Store | None) -> SuiteComparison:
    """Attach the latest stored human-label calibration of the suite's judge, if any."""
    if store is None or comparison.judge is None:
        return comparison
    from harness.store.judge_calibrations import latest_calibration_text

    texts = [t for t in (latest_calibration_text(store, judge) for judge in comparison.judge.judges) if t]
    if not texts:
        return comparison
    return replace(comparison, judge=replace(comparison.judge, calibration="; ".join(texts)))


def _warn_overridden_model_params(suite: Suite, cases: Sequence[Any], spec: ModelSpec, options: RunOptions) -> None:
    """A model-level parameter that a prompt, suite or case replaces is said, not silently lost."""
    if not cases or not spec.params:
        return
    replaced = overridden_model_params(suite, cases[0], spec, options.params)
    if replaced:
        log.warning("model %s sets %s, but suite '%s' (its prompt, defaults or cases) overrides it; "
                    "precedence: --param > case > suite > prompt > model",
                    spec.label, ", ".join(replaced), suite.id)


def _run_pair(old: Suite, new: Suite, specs: tuple[ModelSpec, ModelSpec], project: ProjectConfig,
              options: RunOptions, wanted: set[str] | None, store: Store | None,
              gate: SuiteGate) -> tuple[RunResult, RunResult, Stop | None]:
    """Baseline and candidate runs: K samples each, or in rounds with ``--samples auto`` (then where the
    rounds stopped, each round being a look at the comparison under the suite's ``gate``)."""
    if options.design is not None:
        from harness.adaptive import KeptOpen, run_pair_in_rounds
        from harness.generation.backends import create_backend

        backends: dict[str, KeptOpen] = {}

        def run_round(suite: Suite, spec: ModelSpec, round_: int, ids: set[str]) -> RunResult:
            step = replace(options, samples=round_, first_sample=round_ - 1)
            if repr(spec) not in backends:
                backends[repr(spec)] = KeptOpen(create_backend(spec))
            return run_suite(suite, spec, project, step, case_ids=ids, backend=backends[repr(spec)],
                             side=f"round {round_}")

        try:
            return run_pair_in_rounds(old, new, specs, run_round, options.design, wanted, store, gate)
        finally:
            for backend in backends.values():
                backend.release()
    cand_options = options if options.candidate_seed is None else replace(options, seed=options.candidate_seed)
    return (run_suite(old, specs[0], project, options, case_ids=wanted, store=store, side="baseline"),
            run_suite(new, specs[1], project, cand_options, case_ids=wanted, store=store, side="candidate"), None)


def _compare_pair(old: Suite, new: Suite, specs: tuple[ModelSpec, ModelSpec], project: ProjectConfig,
                  options: RunOptions, wanted: set[str] | None, store: Store | None, gate: SuiteGate,
                  variable: str) -> tuple[SuiteComparison, str | None, str | None]:
    """One suite's runs compared, and their run ids; the runs themselves (every sample and score) are let
    go here, before the report is built."""
    base_run, cand_run, stop = _run_pair(old, new, specs, project, options, wanted, store, gate)
    pairwise = judge_pairwise(new, base_run, cand_run, project, options, specs[1])
    with run_progress(f"{new.id} · baseline vs candidate", options.progress) as progress:
        progress.phase("comparing")
        comparison = compare_runs(base_run, cand_run, alpha=gate.case_alpha, bootstrap_seed=options.seed,
                                  variable=variable, pairwise=pairwise,  # type: ignore[arg-type]
                                  design=options.design, stop=stop)
    return comparison, base_run.run_id, cand_run.run_id


@dataclass(frozen=True)
class ComparisonOutcome:
    """Everything a compare produced: per-suite comparisons, the gate, the report dict."""

    comparisons: list[SuiteComparison]
    gate: GateResult
    report: ComparisonReport
    comparison_id: str | None = None
    baseline_run_ids: dict[str, str | None] = field(default_factory=dict)
    candidate_run_ids: dict[str, str | None] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[str]:
        """Every stored run id, baseline then candidate per suite."""
        return [i for suite in self.baseline_run_ids
                for i in (self.baseline_run_ids[suite], self.candidate_run_ids.get(suite)) if i]


def compare_suites(pairs: Sequence[tuple[Suite, Suite]], baseline: ModelSpec, candidate: ModelSpec,
                   project: ProjectConfig, options: RunOptions, *, policy: Policy, alpha: float = 0.05,
                   variable: str = "model", store: Store | None = None,
                   case_ids: dict[str, set[str]] | None = None,
                   save_comparison: bool = True) -> ComparisonOutcome:
    """Run each (baseline suite, candidate suite) pair on its model, compare, gate, store.

    With ``save_comparison=False`` the runs are stored but the comparison is left to the caller
    (``harness check`` stores its report once it is complete).
    """

    for old, new in pairs:
        ensure_code_allowed(old, options)
        ensure_code_allowed(new, options)
    comparisons, run_ids = [], ({}, {})
    with collector.kept():
        for old, new in pairs:
            wanted = case_ids.get(new.id) if case_ids is not None else None
            gate = SuiteGate(policy.for_suite(old.id), alpha / len(pairs), alpha)   # gate.evaluate's share
            comparison, run_ids[0][new.id], run_ids[1][new.id] = _compare_pair(
                old, new, (baseline, candidate), project, options, wanted, store, gate, variable)
            comparisons.append(cite_calibration(comparison, store))
        gate = evaluate(policy, comparisons)
        with collector.paused():   # the report: a dozen models per case, all kept
            report = build_report(comparisons, gate)
        comparison_id = None
        if store is not None and save_comparison:
            comparison_id = store.save_comparison(report, baseline_run_ids=run_ids[0],
                                                  candidate_run_ids=run_ids[1])
            report = report.model_copy(update={"comparison_id": comparison_id})
    return ComparisonOutcome(comparisons, gate, report, comparison_id, run_ids[0], run_ids[1])

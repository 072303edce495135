"""``harness gate``: champion vs challenger. Compares a candidate with an alias's current model on
the project's suites, records the comparison, and (with ``--promote``) moves the alias on a passing
verdict by compare-and-swap; a failed or unpromoted candidate is recorded as a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.commands.shared import ReportPaths, comparison_exit_code, load_gate_policy, load_suites
from harness.errors import EXIT_GATE_FAILED, EXIT_INFRA, EXIT_OK, UsageError

if TYPE_CHECKING:
    from harness.analysis.gate import Policy
    from harness.project.config import ProjectConfig
    from harness.store import Store
    from harness.store.aliases import AliasRow

EXIT_LOST_RACE = 4
Outcome = Literal["same", "promoted", "rejected", "passed", "lost", "incomplete"]


@dataclass(frozen=True)
class GateOptions:
    """What ``harness gate`` can set; ``None`` means the project's setting."""

    alias: str
    candidate: str | None = None
    promote: bool = False
    reason: str | None = None
    suites: list[Path] = field(default_factory=list)
    samples: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    policy_file: Path | None = None
    alpha: float = 0.05
    use_cache: bool = True
    allow_code: bool = False
    db: str | None = None
    mlflow: str | None = None            # MLflow tracking URI: log runs, comparison, promotion
    mlflow_model: str | None = None      # registered model name (default harness-<alias>)


@dataclass(frozen=True)
class GateDecision:
    """What one gate did: the outcome, its exit code and the comparison it rests on."""

    outcome: Outcome
    exit_code: int
    comparison_id: str | None = None
    verdict: str | None = None


def gate_command(options: GateOptions, outputs: ReportPaths) -> int:
    """One candidate against the alias's champion -> verdict -> promotion or rejection -> exit code."""
    from harness.project.config import load_project_config
    from harness.store import Store

    if not options.candidate:
        raise UsageError("give --candidate SPEC (or --watch DIR)")
    project = load_project_config()
    with Store(options.db or project.database) as store:
        return gate_candidate(options.candidate, options, project, store, outputs).exit_code


def model_fingerprint(spec_text: str, project: ProjectConfig) -> dict[str, Any]:
    """The fingerprint of the model a spec names (cheap: hashes files, loads nothing)."""
    from harness.generation.backends import create_backend
    from harness.project.config import resolve_model
    from harness.store.jsonsafe import clean_json

    backend = create_backend(resolve_model(spec_text, project))
    try:
        return clean_json(backend.fingerprint())
    finally:
        backend.close()


def gate_suites(options: GateOptions, project: ProjectConfig) -> list[Any]:
    """The suites given on the command line, else ``suites:`` of harness.yaml."""
    paths = list(options.suites) or [project.root / s for s in project.suites]
    if not paths:
        raise UsageError("no suites to gate on: give suite paths or set `suites:` in harness.yaml")
    return load_suites(paths)


def gate_candidate(candidate: str, options: GateOptions, project: ProjectConfig, store: Store,
                   outputs: ReportPaths) -> GateDecision:
    """Gate one candidate spec against the alias's current champion."""
    from harness.commands.compare import write_comparison_reports
    from harness.pipeline import compare_suites, options_from_project
    from harness.project.config import resolve_model
    from harness.reporters.terminal import print_comparison, print_message
    from harness.store.aliases import Aliases

    aliases = Aliases(store)
    champion = aliases.require(options.alias)
    candidate = _own_spec(candidate, aliases)
    fingerprint = model_fingerprint(candidate, project)
    if fingerprint == champion.model_fingerprint:
        print_message(f"{candidate} has the same fingerprint as @{champion.alias} ({champion.model_spec}): "
                      "nothing to compare; the alias stays", style="yellow")
        return GateDecision("same", EXIT_OK)
    policy = load_gate_policy(project, options.policy_file)
    suites = gate_suites(options, project)
    run_options = options_from_project(project, samples=options.samples, params=options.params,
                                       seed=options.seed, use_cache=options.use_cache,
                                       allow_code=options.allow_code or None)
    outcome = compare_suites([(s, s) for s in suites], resolve_model(champion.model_spec, project),
                             resolve_model(candidate, project), project, run_options, policy=policy,
                             alpha=options.alpha, variable="model", store=store)
    print_comparison(outcome.report)
    write_comparison_reports(outcome.report, outputs)
    if comparison_exit_code(outcome.report) == EXIT_INFRA:
        return GateDecision("incomplete", EXIT_INFRA, outcome.comparison_id, outcome.report.verdict)
    decision = _decide(aliases, champion, candidate, fingerprint, outcome.comparison_id,
                       outcome.report.verdict, policy, options)
    if options.mlflow:
        _log_mlflow(options, outcome.report, decision, champion, candidate, fingerprint)
    return decision


def _log_mlflow(options: GateOptions, report: Any, decision: GateDecision, champion: AliasRow,
                candidate: str, fingerprint: dict[str, Any]) -> None:
    """The comparison and its runs as MLflow runs; on promotion, the registered model's alias."""
    from harness.integrations.mlflow_tracking import MlflowTarget, log_gate, set_registered_alias
    from harness.reporters.terminal import print_message

    target = MlflowTarget(options.mlflow or "", options.mlflow_model)
    run_id = log_gate(target, report, alias=champion.alias, candidate=candidate,
                      champion=champion.model_spec, outcome=decision.outcome)
    if decision.outcome == "promoted":
        version = set_registered_alias(target, alias=champion.alias, model_spec=candidate,
                                       fingerprint=fingerprint, mlflow_run_id=run_id)
        print_message(f"MLflow: registered model version {version} now has alias '{champion.alias}'")


def _own_spec(candidate: str, aliases: Any) -> str:
    """``@other`` as a candidate: the spec it points at (aliases never point at aliases)."""
    return aliases.require(candidate).model_spec if candidate.startswith("@") else candidate.strip()


def promotable(verdict: str, policy: Policy) -> bool:
    """``pass`` and ``warn`` move the alias; ``inconclusive`` only with ``promote_on_inconclusive``."""
    return verdict in ("pass", "warn") or (verdict == "inconclusive" and policy.promote_on_inconclusive)


def _decide(aliases: Any, champion: AliasRow, candidate: str, fingerprint: dict[str, Any],
            comparison_id: str | None, verdict: str, policy: Policy, options: GateOptions) -> GateDecision:
    from harness.reporters.terminal import print_message
    from harness.store.aliases import Move

    move = Move(comparison_id=comparison_id, verdict=verdict, reason=options.reason,
                champion_spec=champion.model_spec)
    code = EXIT_GATE_FAILED if verdict == "fail" else EXIT_OK
    if not promotable(verdict, policy):
        aliases.reject(champion.alias, candidate, fingerprint, move)
        print_message(f"rejected: {candidate} stays out; @{champion.alias} keeps {champion.model_spec} "
                      f"(verdict {verdict}, comparison {comparison_id})", style="red")
        return GateDecision("rejected", code, comparison_id, verdict)
    if not options.promote:
        print_message(f"{candidate} would replace {champion.model_spec} as @{champion.alias} "
                      f"(verdict {verdict}); add --promote to move the alias", style="green")
        return GateDecision("passed", code, comparison_id, verdict)
    event = aliases.promote(champion.alias, candidate, fingerprint, move,
                            expected_generation=champion.generation)
    if event is None:
        now = aliases.get(champion.alias)
        print_message(f"not promoted: @{champion.alias} moved to {now.model_spec if now else '?'} while this "
                      f"gate compared against {champion.model_spec}; re-run the gate against the new champion",
                      style="yellow")
        return GateDecision("lost", EXIT_LOST_RACE, comparison_id, verdict)
    print_message(f"promoted: @{champion.alias} -> {candidate} (was {champion.model_spec}; "
                  f"verdict {verdict}, comparison {comparison_id})", style="green")
    return GateDecision("promoted", code, comparison_id, verdict)

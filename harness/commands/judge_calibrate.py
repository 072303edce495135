"""``harness judge-calibrate``: the suite's judge against human labels; stored for reports to cite."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.analysis.judge_calibration import JudgeAgreement, LabelVerdict, agreement
from harness.analysis.judge_noise import sample_agreement
from harness.analysis.report_judge import JudgeCalibrationReport, LabelVerdictReport
from harness.errors import EXIT_OK, ConfigError
from harness.project.suites import Suite
from harness.scoring.judge_labels import Label, load_labels
from harness.types import Case, CaseResult, SampleResult, Score


@dataclass(frozen=True)
class JudgeCalibrateOptions:
    labels: Path
    judge: str | None = None        # override every check's judge
    samples: int = 3                # judgments per label (self-consistency needs >= 2)
    use_cache: bool = True
    store: bool = True
    seed: int = 0


def judge_calibrate_command(suite_path: Path, options: JudgeCalibrateOptions, json_out: Path | None) -> int:
    """Grade the labelled outputs with the suite's judge checks; print and store the agreement."""
    from rich.console import Console
    from rich.markup import escape

    from harness.commands.shared import load_suites, write_reports
    from harness.project.config import load_project_config

    project = load_project_config()
    (suite,) = load_suites([suite_path])[:1]
    labels = load_labels(options.labels, {c.id for c in suite.cases})
    judged, position, fingerprints = grade_labels(suite, labels, project, options)
    verdicts = [_verdict(label, scores) for label, scores in zip(labels, judged)]
    judge = _judge_label(judged)
    report = calibration_report(suite.id, judge, agreement(verdicts), position,
                                [LabelVerdictReport(line=lb.line, case_id=lb.case_id, human=v.human, judge=v.judge)
                                 for lb, v in zip(labels, verdicts)])
    if options.store:
        _store(project, suite.id, judge, report, fingerprints)
    Console().print(escape(render_text(report)))
    write_reports(report, {"json": json_out}, {})
    return EXIT_OK


def grade_labels(suite: Suite, labels: Sequence[Label], project: object,
                 options: JudgeCalibrateOptions) -> tuple[list[list[Score]], float | None, dict[str, object]]:
    """Each label's judge scores (J judgments each), the pairwise position-bias rate (or None),
    and the judges' fingerprints."""
    from harness.project.prompts import render
    from harness.scoring.checks import CHECK_TYPES, ScoreItem
    from harness.scoring.checks.judge import JudgeConfig, JudgeScorer, preflight_judges
    from harness.scoring.judging import JudgeEnv, judging

    cases = {c.id: _override(c, options) for c in suite.cases}
    if not any(isinstance(k, JudgeConfig) and k.type != "judge-pairwise" for c in cases.values() for k in c.checks) \
            and "judge-pairwise" not in suite.check_types:
        raise ConfigError("the suite has no judge check to calibrate", file=suite.path, field="checks")
    prompts = {c.id: render(suite.prompt, c.vars, c.id).text for c in suite.cases}
    env = JudgeEnv(project=project, use_cache=options.use_cache, seed=options.seed)
    scores: list[list[Score]] = [[] for _ in labels]
    with judging(env):
        preflight_judges(list(cases.values()), suite.path)
        groups: dict[str, list[int]] = defaultdict(list)
        configs = {}
        for n, label in enumerate(labels):
            for config in cases[label.case_id].checks:
                if isinstance(config, JudgeConfig) and config.type != "judge-pairwise":
                    key = config.model_dump_json()
                    groups[key].append(n)
                    configs[key] = config
        for key, members in groups.items():
            scorer = CHECK_TYPES.get(configs[key].type)(configs[key])
            assert isinstance(scorer, JudgeScorer)
            items = [ScoreItem(labels[n].output, cases[labels[n].case_id], prompts[labels[n].case_id])
                     for n in members]
            for n, score in zip(members, scorer.score(items)):
                scores[n].append(score)
        position = _position_bias(list(cases.values()), labels, prompts)
        fingerprints = {label: backend.fingerprint() for label, backend in env.backends.items()}
    return scores, position, fingerprints


def _override(case: Case, options: JudgeCalibrateOptions) -> Case:
    from dataclasses import replace

    from harness.scoring.checks.judge import JudgeConfig

    checks = tuple(c.model_copy(update={"judge_samples": options.samples,
                                        **({"judge": options.judge} if options.judge else {})})
                   if isinstance(c, JudgeConfig) else c for c in case.checks)
    return replace(case, checks=checks)


def _position_bias(cases: Sequence[Case], labels: Sequence[Label], prompts: dict[str, str]) -> float | None:
    """With a ``judge-pairwise`` check: judge two labelled outputs of a case in both orders."""
    from harness.scoring.pairwise import judge_pairs

    biased = usable = 0
    for case in cases:
        configs = [c for c in case.checks if c.type == "judge-pairwise"]
        outputs = list(dict.fromkeys(label.output for label in labels if label.case_id == case.id))
        if not configs or len(outputs) < 2:
            continue
        one = CaseResult(case.id, (SampleResult(0, outputs[0], (), True),))
        two = CaseResult(case.id, (SampleResult(0, outputs[1], (), True),))
        result = judge_pairs(case, configs[0], one, two, prompts.get(case.id, ""))
        biased += result.count("position-bias")
        usable += result.usable
    return biased / usable if usable else None


def _verdict(label: Label, scores: Sequence[Score]) -> LabelVerdict:
    if not scores or any(s.error for s in scores):
        return LabelVerdict(human=label.human_pass, judge=None)
    agreements = [a for a in (sample_agreement(s) for s in scores) if a is not None]
    return LabelVerdict(human=label.human_pass, judge=all(s.passed for s in scores),
                        self_agreement=min(agreements) if agreements else None)


def _judge_label(judged: Sequence[Sequence[Score]]) -> str:
    names = list(dict.fromkeys(s.judge for scores in judged for s in scores if s.judge))
    return " + ".join(names) or "unknown"


def calibration_report(suite_id: str, judge: str, result: JudgeAgreement, position_bias: float | None,
                       verdicts: list[LabelVerdictReport]) -> JudgeCalibrationReport:
    from harness.store.judge_calibrations import calibration_text

    c = result.confusion
    return JudgeCalibrationReport(
        suite_id=suite_id, judge=judge, labels=result.labels, graded=result.graded,
        judge_errors=result.judge_errors, accuracy=result.accuracy, kappa=result.kappa,
        confusion={"both_pass": c.both_pass, "both_fail": c.both_fail,
                   "judge_pass_human_fail": c.judge_pass_human_fail,
                   "judge_fail_human_pass": c.judge_fail_human_pass},
        self_consistency=result.self_consistency, position_bias=position_bias,
        text=calibration_text(judge, result.accuracy, result.kappa, result.graded), verdicts=verdicts)


def render_text(report: JudgeCalibrationReport) -> str:
    """The terminal summary."""
    c = report.confusion
    lines = [report.text + f" on suite {report.suite_id}",
             (f"accuracy {_pct(report.accuracy)} · kappa {_num(report.kappa)} · "
              f"{report.graded} of {report.labels} labels graded ({report.judge_errors} judge error(s))"),
             "                 human pass  human fail",
             f"  judge pass     {c['both_pass']:>10}  {c['judge_pass_human_fail']:>10}",
             f"  judge fail     {c['judge_fail_human_pass']:>10}  {c['both_fail']:>10}",
             f"self-consistency {_pct(report.self_consistency)} · position bias {_pct(report.position_bias)}"]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "n/a"


def _num(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _store(project: object, suite_id: str, judge: str, report: JudgeCalibrationReport,
           fingerprints: dict[str, object]) -> None:
    from harness.store import Store

    with Store(project.database) as store:  # type: ignore[attr-defined]
        store.save_judge_calibration({
            "judge": judge, "judge_fingerprint": fingerprints, "suite_id": suite_id, "labels": report.graded,
            "accuracy": report.accuracy, "kappa": report.kappa, "report": report.model_dump(mode="json")})

"""``--samples auto``: draw samples in rounds, one more per side for each case still open.

Each round runs both sides (``run_suite``, passed in by the pipeline) for the open cases with only
the newest sample index (``RunOptions.first_sample``), so samples go through the generation cache like any other
and an interrupted comparison resumes where it stopped. The stopping rule and the tests that
keep their error rates under it are in ``harness.analysis.sequential``. Each round from
``--min-samples`` on is also a look at the whole comparison (``harness.analysis.looks``): it can stop
every case at once, with FAIL (efficacy) or because no fail-level rule can plausibly fail (futility).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harness.analysis.looks import Stop, SuiteGate, look, look_cases
from harness.analysis.sequential import SequentialDesign, still_open
from harness.generation.runinfo import now_iso
from harness.types import CaseResult, RunResult

if TYPE_CHECKING:
    from harness.generation.backends import ModelSpec
    from harness.project.suites import Suite
    from harness.store import Store

# Runs one round of one side: (suite, model, round number from 1, open case ids) -> that round's run.
RoundRunner = Callable[["Suite", "ModelSpec", int, set[str]], RunResult]


class KeptOpen:
    """A backend shared by the rounds: ``close`` (called after each round's generation) keeps the
    model loaded; ``release`` closes it once the rounds are done."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def close(self) -> None:
        """Kept open for the next round."""

    def release(self) -> None:
        self._inner.close()


@dataclass
class _Side:
    """One side's results so far: each case's samples over the rounds."""

    first: RunResult | None = None
    cases: dict[str, CaseResult] | None = None
    complete: bool = True

    def add(self, run: RunResult) -> None:
        self.first = self.first or run
        self.cases = self.cases if self.cases is not None else {}
        self.complete = self.complete and run.complete
        for case in run.cases:
            old = self.cases.get(case.case_id)
            self.cases[case.case_id] = case if old is None else _merge(old, case)

    def samples(self, case_id: str) -> tuple:
        case = (self.cases or {}).get(case_id)
        return case.samples if case is not None else ()

    def sampled(self, case_id: str) -> bool:
        case = (self.cases or {}).get(case_id)
        return case is not None and case.sampled

    def result(self, order: Sequence[str], rounds: int) -> RunResult:
        assert self.first is not None
        cases = tuple(self.cases[i] for i in order if self.cases and i in self.cases)
        info = replace(self.first.info, samples=rounds, finished_at=now_iso())
        return RunResult(info=info, cases=cases, complete=self.complete)


def _merge(old: CaseResult, new: CaseResult) -> CaseResult:
    paraphrases = tuple(a + b for a, b in zip(old.paraphrases, new.paraphrases)) or old.paraphrases
    return replace(old, samples=old.samples + new.samples, paraphrases=paraphrases,
                   sampled=old.sampled or new.sampled)


def run_pair_in_rounds(old: Suite, new: Suite, specs: tuple[ModelSpec, ModelSpec], run_round: RoundRunner,
                       design: SequentialDesign, case_ids: set[str] | None = None,
                       store: Store | None = None, gate: SuiteGate | None = None,
                       ) -> tuple[RunResult, RunResult, Stop]:
    """Baseline and candidate runs of one suite pair, sampled adaptively; both recorded in the store.

    Without ``gate`` only the per-case rule stops cases (every look is then the final one's kind:
    the comparison is gated at the whole alpha)."""
    order = list(dict.fromkeys([c.id for c in old.cases] + [c.id for c in new.cases]))
    open_ids = {i for i in order if case_ids is None or i in case_ids}
    sides, rounds, stop = (_Side(), _Side()), 0, None
    while stop is None:
        rounds += 1
        sides[0].add(run_round(old, specs[0], rounds, open_ids))
        sides[1].add(run_round(new, specs[1], rounds, open_ids))
        open_ids = {i for i in open_ids if still_open(sides[0].samples(i), sides[1].samples(i), rounds, design,
                                                      sides[0].sampled(i) or sides[1].sampled(i))}
        if gate is None:
            stop = None if open_ids else Stop(rounds, "max" if rounds >= design.max_samples else "settled", 1.0)
            continue
        looking = open_ids and rounds >= design.min_samples
        cases = look_cases(list((sides[0].cases or {}).values()), list((sides[1].cases or {}).values()),
                           gate.rules, gate.case_alpha, design.min_samples) if looking else []
        stop = look(gate, cases, design, rounds, final=not open_ids)
    base, cand = (side.result(order, rounds) for side in sides)
    if store is not None:
        base = replace(base, run_id=store.save_run(base))
        cand = replace(cand, run_id=store.save_run(cand))
    return base, cand, stop

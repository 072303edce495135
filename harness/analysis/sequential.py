"""Adaptive sampling in rounds: the design, the stopping rule and each case's paired rounds. Pure.

A round draws one more sample per side of every case still open. After round ``r >= k``
(``min_samples``) a case stops when all its scorable samples of both sides agree (all pass or
all fail): it is settled. A case not settled after round ``k`` never settles, so the rule reads
only how many of the first ``k`` rounds' samples passed, pooled over both sides. Under "no
change" the samples of one case are exchangeable, so given the pass count of each stratum of
rounds (the first ``k``, the rest) the baseline's share of it is hypergeometric whatever the
stopping did: the case's exact conditional null (``docs/statistics.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.types import SampleResult, is_errored


@dataclass(frozen=True)
class SequentialDesign:
    """``--samples auto``: at least ``min_samples`` and at most ``max_samples`` rounds per case.

    Each round from ``min_samples`` on is also a look at the whole comparison
    (``harness.analysis.looks``): an interim look tests the fail-level rules at
    ``interim_share / (looks - 1)`` of the suite's alpha and stops with FAIL when one is
    demonstrated (efficacy); from round ``futility_from`` it stops when every fail-level rule's
    conditional power is below ``futility`` (0: never). The final look tests at what the interim
    looks before it left (``1 - interim_share`` of it at ``max_samples``).
    """

    min_samples: int = 2
    max_samples: int = 10
    interim_share: float = 0.2
    futility: float = 0.05
    futility_from: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.min_samples <= self.max_samples:
            raise ValueError(f"need 1 <= --min-samples ({self.min_samples}) <= --max-samples ({self.max_samples})")
        if not (0 <= self.interim_share < 1 and 0 <= self.futility < 1):
            raise ValueError("need 0 <= interim_share < 1 and 0 <= futility < 1")

    @property
    def looks(self) -> int:
        """Looks at the comparison: rounds ``min_samples`` to ``max_samples``."""
        return self.max_samples - self.min_samples + 1

    def share(self, final: bool, round_: int | None = None) -> float:
        """The share of the suite's alpha one look tests at: ``interim_share / (looks - 1)`` at an
        interim look; at the final look (after round ``round_``, default ``max_samples``) whatever
        the interim looks before it left (``1 - interim_share`` at ``max_samples``; all of it when
        there was none)."""
        if self.looks == 1 or self.interim_share == 0:
            return 1.0
        interim = self.interim_share / (self.looks - 1)
        if not final:
            return interim
        before = min(self.looks - 1, max(0, (self.max_samples if round_ is None else round_) - self.min_samples))
        return 1 - interim * before


@dataclass(frozen=True)
class PairedRounds:
    """One case's rounds, paired by sample index (both samples scorable), and its two strata."""

    rounds: int            # rounds drawn (samples per side)
    base_only: int         # discordant rounds where only the baseline passed
    cand_only: int         # discordant rounds where only the candidate passed
    strata: tuple[tuple[int, int, int, int], ...] = ()   # (base_passed, base_n, cand_passed, cand_n)

    @property
    def discordant(self) -> tuple[int, int]:
        return self.base_only, self.cand_only


def settled(base: Sequence[SampleResult], cand: Sequence[SampleResult]) -> bool:
    """All scorable samples of both sides agree (vacuously true when none is scorable)."""
    outcomes = {s.passed for s in (*base, *cand) if not is_errored(s)}
    return len(outcomes) <= 1


def still_open(base: Sequence[SampleResult], cand: Sequence[SampleResult], rounds: int,
               design: SequentialDesign, sampled: bool = True) -> bool:
    """Whether a case draws another round after ``rounds`` rounds (a greedy case: one round)."""
    if rounds >= (design.max_samples if sampled else 1):
        return False
    return rounds < design.min_samples or not settled(base, cand)


def paired_rounds(base: Sequence[SampleResult], cand: Sequence[SampleResult], first: int) -> PairedRounds:
    """Pair the sides' samples by index; count the discordant rounds (errored samples drop their
    round) and each side's scorable passes in the strata of rounds ``< first`` and ``>= first``."""
    old = {s.sample: s.passed for s in base if not is_errored(s)}
    new = {s.sample: s.passed for s in cand if not is_errored(s)}
    both = old.keys() & new.keys()

    def stratum(later: bool) -> tuple[int, int, int, int]:
        b = [p for i, p in old.items() if (i >= first) == later]
        c = [p for i, p in new.items() if (i >= first) == later]
        return (sum(b), len(b), sum(c), len(c))

    return PairedRounds(rounds=min(len(base), len(cand)),
                        base_only=sum(old[i] and not new[i] for i in both),
                        cand_only=sum(new[i] and not old[i] for i in both),
                        strata=(stratum(False), stratum(True)))

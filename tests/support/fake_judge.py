"""``test-judge:MODE``: a deterministic judge backend for tests (registered on import).

It reads the judged answer(s) from the rendered judge prompt and answers by rule:

- ``rubric``: ``{"score": 1.0}`` when the answer contains GOOD, else ``{"score": 0.0}``.
- ``noisy``: pass with probability 0.8 (GOOD) or 0.2 (otherwise), drawn from the request seed,
  so repeated judgments of one answer disagree reproducibly.
- ``garbage``: an answer no parser can read (every judgment is a judge error).
- ``first``: pairwise; always prefers answer A (pure position bias).
- ``content``: pairwise; prefers the answer containing GOOD, a tie when both or neither do.
- ``noisy-pair``: pairwise; a seeded coin between A, B and tie.
- ``geval``: answers "3" and reports score-token probabilities {"1": .1, "5": .9} (weighted 4.6).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from harness.errors import InfrastructureError
from harness.generation.backends.base import ModelSpec, SpecSyntax, backend
from harness.types import Generation, GenerationRequest

_ANSWER = re.compile(r"\nAnswer:\n(.*?)\n\n", re.DOTALL)
_PAIR = re.compile(r"Answer A:\n(.*?)\n\nAnswer B:\n(.*?)\n\n", re.DOTALL)


def _draw(seed: int) -> float:
    return int(hashlib.sha256(str(seed).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


@backend("test-judge")
class FakeJudge(SpecSyntax):
    calls: ClassVar[int] = 0
    fail_after: ClassVar[int | None] = None  # raise a server error once this many calls were answered
    fingerprint_extra: ClassVar[dict[str, Any]] = {}

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "test-judge", "mode": self.spec.target, **self.fingerprint_extra}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        for index, request in enumerate(requests):
            if FakeJudge.fail_after is not None and FakeJudge.calls >= FakeJudge.fail_after:
                raise InfrastructureError("judge server returned 503")
            FakeJudge.calls += 1
            text = request.prompt.messages[-1].content
            out, meta = self._answer(text, request.seed)
            yield index, Generation(output=out, meta=meta)

    def _answer(self, text: str, seed: int) -> tuple[str, dict[str, Any]]:
        mode = self.spec.target
        if mode == "garbage":
            return "I cannot decide, sorry.", {}
        if mode == "geval":
            return "3", {"score_probs": {"1": 0.1, "2": 0.0, "3": 0.0, "4": 0.0, "5": 0.9}}
        if mode in ("first", "content", "noisy-pair"):
            a, b = _PAIR.search(text).groups()  # type: ignore[union-attr]
            if mode == "first":
                winner = "A"
            elif mode == "content":
                winner = "tie" if ("GOOD" in a) == ("GOOD" in b) else ("A" if "GOOD" in a else "B")
            else:
                winner = ("A", "B", "tie")[int(_draw(seed) * 3) % 3]
            return json.dumps({"reason": "rule", "winner": winner}), {}
        answer = _ANSWER.search(text).group(1)  # type: ignore[union-attr]
        good = "GOOD" in answer
        if mode == "noisy":
            passed = _draw(seed) < (0.8 if good else 0.2)
            return json.dumps({"reason": "coin", "score": 1.0 if passed else 0.0, "pass": passed}), {}
        return f'Sure. {{"reason": "has GOOD" , "score": {1.0 if good else 0.0}}} trailing', {}

    def close(self) -> None:
        pass

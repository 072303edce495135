"""``fake:echo`` and ``fake:seeded``: deterministic backends for tests and dry runs.

``echo`` returns the rendered user message; ``seeded`` appends a seed-dependent
token when sampling, so repeated samples differ reproducibly. Every generation is
counted in ``FakeBackend.generated`` (and appended to the file named by
``HARNESS_FAKE_COUNTER``, for counting across processes). ``HARNESS_FAKE_DELAY``
(seconds) slows each generation, for interruption tests.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from harness.errors import ConfigError
from harness.generation.backends.base import ModelSpec, SpecSyntax, backend
from harness.types import Generation, GenerationRequest

_MODES = ("echo", "seeded")


@backend("fake")
class FakeBackend(SpecSyntax):
    generated: ClassVar[int] = 0
    greedy_is_deterministic: ClassVar[bool] = True
    loads: ClassVar[int] = 0

    def __init__(self, spec: ModelSpec) -> None:
        if spec.target not in _MODES:
            raise ConfigError(f"unknown fake model '{spec.target}'; use one of {', '.join(_MODES)}")
        self.spec = spec
        self._loaded = False

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "fake", "mode": self.spec.target}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        if not self._loaded:
            FakeBackend.loads += 1
            self._loaded = True
        delay = float(os.environ.get("HARNESS_FAKE_DELAY", "0") or 0)
        for index, request in enumerate(requests):
            if delay:
                time.sleep(delay)
            FakeBackend.generated += 1
            _count_in_file(request)
            yield index, Generation(output=self._answer(request), new_tokens=None, latency_s=0.0)

    def _answer(self, request: GenerationRequest) -> str:
        text = request.prompt.messages[-1].content
        if self.spec.target == "seeded" and not request.params.greedy:
            text += f" #{int(hashlib.sha256(str(request.seed).encode()).hexdigest(), 16) % 3}"
        for stop in request.params.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        return text

    def close(self) -> None:
        self._loaded = False


def _count_in_file(request: GenerationRequest) -> None:
    path = os.environ.get("HARNESS_FAKE_COUNTER")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{request.suite_id}\t{request.case_id}\t{request.variant}\t{request.sample}\n")

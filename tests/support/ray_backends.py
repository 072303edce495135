"""Backends for executor tests; importable by Ray workers (the repo root is on their PYTHONPATH).

``test-pid:echo`` answers with the prompt plus a seed-derived digit and records in ``meta`` the
process and how many times this process built the backend. ``test-pid:crash`` raises on a
case named ``boom``; ``test-pid:die`` kills its process there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from harness.generation.backends.base import ModelSpec, backend
from harness.types import Generation, GenerationRequest


@backend("test-pid")
class PidBackend:
    built: ClassVar[int] = 0

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        PidBackend.built += 1

    def fingerprint(self) -> dict[str, Any]:
        return {"backend": "test-pid", "mode": self.spec.target}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, Generation]]:
        for index, request in enumerate(requests):
            if self.spec.target == "crash" and request.case_id == "boom":
                raise RuntimeError("model exploded on case boom")
            if self.spec.target == "die" and request.case_id == "boom":
                os._exit(1)  # the whole worker process dies, as on an out-of-memory kill
            text = f"{request.prompt.text} #{request.seed % 10}"
            yield index, Generation(output=text, new_tokens=len(text.split()),
                                    meta={"pid": os.getpid(), "built": PidBackend.built})

    def close(self) -> None:
        pass

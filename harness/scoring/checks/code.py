"""``code-tests``: run generated code against unit tests in the sandbox (HumanEval style).

The code is the first fenced block of the output (a ``python``/``py`` one preferred),
else the raw text. The program run is ``prefix`` (when needed) + code + ``test`` +
``check(entry_point)``. A body that continues the prompt is accepted: when the code
does not define ``entry_point`` it is appended to ``prefix``; when it does, ``prefix``
(imports, helpers and a docstring-only stub) goes first and the code redefines the stub.

Code verdicts (``harness.scoring.sandbox.CodeVerdict``): pass, fail (with the failing
assertion), timeout, memory, sandbox-error; only pass passes. Code runs only inside
``harness.scoring.sandbox.code_execution_allowed()``.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from harness.analysis.stats import pass_at_k  # the one estimator, re-exported for pass@k over code cases
from harness.errors import CodeExecutionNotAllowed
from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type
from harness.scoring.sandbox import Limits, SandboxResult, is_code_execution_allowed, run_code
from harness.types import Score

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
PYTHON_TAGS = {"python", "py", "python3", ""}

_slots_lock = threading.Lock()
_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


@dataclass(frozen=True)
class SandboxBounds:
    """The most a suite may ask of the sandbox; raised only from the command line."""

    max_timeout: float = 60.0
    max_memory_mb: int = 4096

    @property
    def max_wall_timeout(self) -> float:
        return 2 * self.max_timeout + 5


_bounds = SandboxBounds()


def set_sandbox_bounds(bounds: SandboxBounds) -> None:
    """Set by ``--sandbox-max-timeout``/``--sandbox-max-memory-mb`` before suites are loaded."""
    global _bounds
    _bounds = bounds


def sandbox_bounds() -> SandboxBounds:
    return _bounds


def set_code_workers(workers: int) -> None:
    """How many sandboxed programs may run at once in this process (default: CPU count)."""
    global _slots
    with _slots_lock:
        _slots = threading.BoundedSemaphore(max(1, workers))


class CodeTestsConfig(CheckConfig):
    test: str
    entry_point: str | None = None
    prefix: str | None = None
    timeout: float = Field(5.0, gt=0, description="CPU seconds")
    memory_mb: int = Field(1024, ge=64)
    wall_timeout: float | None = Field(None, gt=0, description="wall-clock backstop, seconds")

    @field_validator("timeout")
    @classmethod
    def _timeout_bounded(cls, value: float) -> float:
        if value > _bounds.max_timeout:
            raise ValueError(f"timeout {value:g} s is above the bound of {_bounds.max_timeout:g} s; "
                             "raise it with --sandbox-max-timeout on the command line")
        return value

    @field_validator("memory_mb")
    @classmethod
    def _memory_bounded(cls, value: int) -> int:
        if value > _bounds.max_memory_mb:
            raise ValueError(f"memory_mb {value} is above the bound of {_bounds.max_memory_mb} MB; "
                             "raise it with --sandbox-max-memory-mb on the command line")
        return value

    @model_validator(mode="after")
    def _wall_bounded(self) -> CodeTestsConfig:
        if self.wall_timeout is not None and self.wall_timeout > _bounds.max_wall_timeout:
            raise ValueError(f"wall_timeout {self.wall_timeout:g} s is above the bound of "
                             f"{_bounds.max_wall_timeout:g} s (2 x --sandbox-max-timeout + 5)")
        return self

    @property
    def limits(self) -> Limits:
        return Limits(cpu_seconds=self.timeout, wall_seconds=self.wall_timeout, memory_mb=self.memory_mb)


def extract_code(output: str) -> str:
    """The first fenced block (python-tagged ones first; an unclosed fence runs to the end), else the text."""
    blocks = [(m.group(1).lower(), m.group(2)) for m in FENCE.finditer(output)]
    for tag, body in blocks:
        if tag in PYTHON_TAGS:
            return body
    return blocks[0][1] if blocks else output


def defines(code: str, name: str) -> bool:
    """Whether ``code`` defines ``name`` at module level (by parsing; a regex when it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.search(rf"^(async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except SyntaxError:
        return False


def build_program(output: str, config: CodeTestsConfig) -> str:
    """The program the sandbox runs for one output."""
    code = extract_code(output)
    prefix = config.prefix or ""
    if config.entry_point and prefix and not defines(code, config.entry_point):
        code = prefix + code
    elif prefix and _parses(prefix):
        code = prefix.rstrip() + "\n\n\n" + code
    parts = [code.rstrip(), config.test.rstrip()]
    if config.entry_point:
        parts.append(f"check({config.entry_point})")
    return "\n\n\n".join(parts) + "\n"


@check_type("code-tests")
class CodeTests(Scorer):
    """Runs each output's code with the tests in the sandbox; runs a batch in parallel."""

    Config: ClassVar[type[CheckConfig]] = CodeTestsConfig
    concurrent_groups: ClassVar[bool] = True  # one config per case; the sandbox slots bound the load

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        if not is_code_execution_allowed():
            raise CodeExecutionNotAllowed(
                "code-tests would execute model output, which is not allowed here; allow it with "
                "--allow-code or `allow_code: true` in the suite")
        if len(items) <= 1:
            return [self.score_one(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(len(items), 32), thread_name_prefix="code-tests") as pool:
            return list(pool.map(self.score_one, items))

    def score_one(self, item: ScoreItem) -> Score:
        config: CodeTestsConfig = self.config  # type: ignore[assignment]
        program = build_program(item.output, config)
        with _slots:
            result = run_code(program, config.limits)
        return self._to_score(result)

    def _to_score(self, result: SandboxResult) -> Score:
        reason = f"{result.verdict}: {result.details}"
        if not result.network_isolated and result.verdict != "sandbox-error":
            reason += " (network not isolated on this machine)"
        return self.make(result.passed, reason, value=1.0 if result.passed else 0.0,
                         verdict=result.verdict, error=result.verdict == "sandbox-error")


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k of a suite: the mean over cases of ``pass_at_k(n, c, k)`` for (n, c) pairs."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    return sum(values) / len(values) if values else 0.0

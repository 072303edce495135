"""The sandboxed Jinja environment, and the render worker's main loop (``python -I template_env.py``).

Standard library and jinja2 only: the worker runs this file by path, apart from the harness.
Templates are rendered in that separate process under a budget that no construct can
escape: CPU time (``RENDER_CPU_SECONDS`` per case, a virtual-time timer; the parent kills
the worker at a wall-clock backstop for work stuck inside one C call), memory (an
address-space limit ``RENDER_MEMORY_MB`` above what the worker needs to start), output
size (``MAX_RENDERED_CHARS``), and integers (``MAX_INT_BITS`` for ``*`` and ``**``).

Protocol: the worker first sends the frame ``"ready"``; then the parent writes frames
(4-byte big-endian length + pickle) holding a list of jobs ``(texts, variables)``; the
worker answers each job with one frame (length + JSON):
``["ok", [rendered, ...]]`` or ``[kind, message]`` with kind ``undefined``, ``security``,
``budget`` or ``error``.
"""

from __future__ import annotations

import functools
import json
import pickle
import resource
import signal
import struct
import sys
import time
from typing import Any, BinaryIO

if __name__ == "__main__":  # the worker: find jinja2 where the parent found it (run with -I)
    sys.path[:0] = sys.argv[1:]

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RENDERED_CHARS = 1_000_000
MAX_EXPONENT = 64
MAX_INT_BITS = 65_536
RENDER_CPU_SECONDS = 2.0
RENDER_MEMORY_MB = 512
FLUSH_S = 0.2


class RenderBudgetExceeded(Exception):
    """A template used more than its budget."""


class TemplateEnv(ImmutableSandboxedEnvironment):
    """Sandbox without the helper globals that are only useful for escapes, and with
    ``*`` and ``**`` bounded so one operation cannot exhaust memory or CPU (the worker's
    limits catch the rest)."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
        for name in ("cycler", "joiner", "lipsum"):
            self.globals.pop(name, None)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            return _power(left, right)
        if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            seq, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(times, int) and len(seq) * times > MAX_RENDERED_CHARS:
                raise jinja2.exceptions.SecurityError("repetition would exceed the size limit")
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise jinja2.exceptions.SecurityError(f"product would exceed {MAX_INT_BITS} bits")
        return left * right


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _power(left: Any, right: Any) -> Any:
    if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
        raise jinja2.exceptions.SecurityError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
    if _is_int(left) and _is_int(right) and right > 0 and left.bit_length() * right > MAX_INT_BITS:
        raise jinja2.exceptions.SecurityError(f"power would exceed {MAX_INT_BITS} bits")
    return left**right


ENV = TemplateEnv()


@functools.lru_cache(maxsize=512)
def compiled(template: str) -> jinja2.Template:
    """Compile each template text once (rendering a suite renders one template many times)."""
    return ENV.from_string(template)


# --------------------------------------------------------------------------- the worker


def _over_time(_signum: int, _frame: Any) -> None:
    raise RenderBudgetExceeded(f"used more than {RENDER_CPU_SECONDS:g} s of CPU time")


def render_job(texts: list[str], variables: dict[str, Any]) -> list[Any]:
    """One case: every text rendered, or ``[kind, message]``."""
    signal.setitimer(signal.ITIMER_VIRTUAL, RENDER_CPU_SECONDS)
    try:
        out = [compiled(text).render(**variables) for text in texts]
        if sum(len(o) for o in out) > MAX_RENDERED_CHARS:
            return ["budget", f"the rendered prompt is over {MAX_RENDERED_CHARS} characters"]
        return ["ok", out]
    except RenderBudgetExceeded as exc:
        return ["budget", str(exc)]
    except MemoryError:
        return ["budget", f"used more than {RENDER_MEMORY_MB} MB of memory"]
    except jinja2.UndefinedError as exc:
        return ["undefined", str(exc.message)]
    except jinja2.exceptions.SecurityError as exc:
        return ["security", str(exc)]
    except RecursionError:
        return ["error", "recursion too deep (a macro that calls itself?)"]
    except Exception as exc:  # any error of the template is reported, by name
        return ["error", f"{type(exc).__name__}: {exc}"]
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def _read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    return stream.read(struct.unpack(">I", head)[0])


def _limit_memory() -> None:
    with open("/proc/self/statm") as fh:
        size = int(fh.read().split()[0]) * resource.getpagesize()
    limit = size + (RENDER_MEMORY_MB << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    _limit_memory()
    signal.signal(signal.SIGVTALRM, _over_time)
    sys.setrecursionlimit(2000)
    out.write(struct.pack(">I", 7) + b'"ready"')  # tells the parent the worker started
    out.flush()
    while (frame := _read_frame(inp)) is not None:
        flushed = time.monotonic()
        for texts, variables in pickle.loads(frame):  # frames come from our parent only
            body = json.dumps(render_job(texts, variables)).encode()
            out.write(struct.pack(">I", len(body)) + body)
            if time.monotonic() - flushed > FLUSH_S:  # the parent sees progress, not a stuck worker
                out.flush()
                flushed = time.monotonic()
        out.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)

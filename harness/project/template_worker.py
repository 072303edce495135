"""The client side of the render worker (``template_env.py``): one worker process, restarted as needed.

``render_texts(jobs)`` renders a batch of ``(texts, variables)`` jobs and returns one
``TemplateOutcome`` per job. A worker that dies or passes the wall-clock backstop (stuck
inside one C call; the worker flushes its replies at least every 0.2 s) is killed and
restarted; the job it was on gets ``budget``.

Plain templates, text and ``{{ name }}`` substitutions only, of strings, numbers, booleans or
None that the job defines, run nothing that a budget could stop: they are rendered here, by the
same environment, and need no worker (most suites' templates are plain).
"""

from __future__ import annotations

import json
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import markupsafe

from harness.errors import InfrastructureError
from harness.project.template_env import ENV, MAX_RENDERED_CHARS, RENDER_CPU_SECONDS, RENDER_MEMORY_MB

WORKER = str(Path(__file__).with_name("template_env.py"))
BACKSTOP_S = 4 * RENDER_CPU_SECONDS + 3


@dataclass(frozen=True)
class TemplateOutcome:
    """``kind`` is ok, undefined, security, budget or error; ``texts`` when ok, else ``message``."""

    kind: str
    texts: tuple[str, ...] = ()
    message: str = ""


class _Worker:
    def __init__(self) -> None:
        paths = sorted({str(Path(m.__file__).parent.parent) for m in (jinja2, markupsafe) if m.__file__})
        self.proc = subprocess.Popen([sys.executable, "-I", WORKER, *paths], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True)
        self.buffer = b""
        self.pos = 0
        if self.receive() != "ready":
            self.close()
            assert self.proc.stderr is not None
            tail = self.proc.stderr.read()[-500:].decode("utf-8", "replace").strip()
            raise InfrastructureError(f"the template renderer could not start: {tail or 'no message'}")

    def send(self, jobs: Sequence[tuple[list[str], dict[str, Any]]]) -> None:
        body = pickle.dumps(list(jobs))
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(body)) + body)
        self.proc.stdin.flush()

    def receive(self) -> Any:
        """The next reply, or None when the worker died or passed the backstop."""
        assert self.proc.stdout is not None
        fd, end = self.proc.stdout.fileno(), time.monotonic() + BACKSTOP_S
        while True:
            if len(self.buffer) - self.pos >= 4:
                size = struct.unpack_from(">I", self.buffer, self.pos)[0]
                start = self.pos + 4
                if len(self.buffer) >= start + size:
                    self.pos = start + size
                    return json.loads(self.buffer[start:start + size])
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self.buffer = self.buffer[self.pos:] + chunk  # bytes: the read part is dropped here only
            self.pos = 0

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


_lock = threading.Lock()
_worker: _Worker | None = None


def render_texts(jobs: Sequence[tuple[list[str], dict[str, Any]]]) -> list[TemplateOutcome]:
    """Render every job, in order (plain ones here, the rest in the worker); thread-safe."""
    here = [_render_here(texts, variables) for texts, variables in jobs]
    rest = iter(_render_in_worker([job for job, done in zip(jobs, here) if done is None]))
    return [done if done is not None else next(rest) for done in here]


@lru_cache(maxsize=512)
def plain_names(text: str) -> frozenset[str] | None:
    """The names a plain template substitutes (text and ``{{ name }}`` only), or None."""
    parts = plain_parts(text)
    return None if parts is None else frozenset(name for name, is_name in parts if is_name)


@lru_cache(maxsize=512)
def plain_parts(text: str) -> tuple[tuple[str, bool], ...] | None:
    """A plain template as its parts in order, ``(text, False)`` for text as jinja outputs it (comments,
    raw blocks and whitespace control applied) and ``(name, True)`` for a ``{{ name }}``; None otherwise."""
    try:
        tree = ENV.parse(text)
    except jinja2.TemplateSyntaxError:
        return None
    parts: list[tuple[str, bool]] = []
    for output in tree.body:
        if not isinstance(output, jinja2.nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, jinja2.nodes.Name) and node.ctx == "load":
                parts.append((node.name, True))
            elif isinstance(node, jinja2.nodes.TemplateData):
                parts.append((node.data, False))
            else:
                return None
    return tuple(parts)


def _plain_value(value: Any) -> bool:
    if type(value) is int:
        return abs(value) < 10**100
    return value is None or type(value) in (str, float, bool)


def _render_here(texts: list[str], variables: dict[str, Any]) -> TemplateOutcome | None:
    """The outcome of a job whose texts are all plain and whose variables are all defined and plain;
    None for the worker (which also reports what is undefined or over the size limit).

    A plain template's output is its text parts and ``str`` of each value, which is what jinja's
    compiled code writes for them (autoescape off, no finalize): joined here, without a render context
    per case. A variable named ``self`` (render()'s own parameter) is left to the worker to report."""
    if "self" in variables:
        return None
    out = []
    for text in texts:
        parts = plain_parts(text)
        joined = None if parts is None else _join(parts, variables)
        if joined is None:
            return None
        out.append(joined)
    return None if sum(map(len, out)) > MAX_RENDERED_CHARS else TemplateOutcome("ok", texts=tuple(out))


def _join(parts: tuple[tuple[str, bool], ...], variables: dict[str, Any]) -> str | None:
    """The parts with each name's value, or None when a name is undefined or its value is not plain."""
    out = []
    for value, is_name in parts:
        if not is_name:
            out.append(value)
        elif value in variables and _plain_value(variables[value]):
            out.append(str(variables[value]))
        else:
            return None
    return "".join(out)


def needs_worker(texts: Sequence[str]) -> bool:
    """Whether some template of these is not plain (rendering it will need the worker)."""
    return any(plain_names(text) is None for text in texts)


def _render_in_worker(jobs: Sequence[tuple[list[str], dict[str, Any]]]) -> list[TemplateOutcome]:
    """Jobs go in one batch; after a worker stops (memory, the backstop) the rest go one by one,
    so the job that stopped it is the one that gets the ``budget`` outcome."""
    global _worker
    outcomes: list[TemplateOutcome] = []
    single = False
    with _lock:
        while len(outcomes) < len(jobs):
            if _worker is None:
                _worker = _Worker()
            batch = jobs[len(outcomes):len(outcomes) + 1] if single else jobs[len(outcomes):]
            try:
                _worker.send(batch)
            except OSError:  # a worker that died earlier: start another
                _worker.close()
                _worker = None
                continue
            reply = None
            for _ in batch:
                reply = _worker.receive()
                if reply is None:
                    break
                outcomes.append(_outcome(reply))
            if reply is None:
                _worker.close()
                _worker = None
                if single:
                    outcomes.append(TemplateOutcome("budget", message=(
                        f"the renderer stopped (over {RENDER_MEMORY_MB} MB of memory or "
                        f"{BACKSTOP_S:g} s of time)")))
                single = True
    return outcomes


def _outcome(reply: list[Any]) -> TemplateOutcome:
    kind, value = reply
    if kind == "ok":
        return TemplateOutcome("ok", texts=tuple(value))
    return TemplateOutcome(kind, message=str(value))


def start_worker_soon() -> None:
    """Start the render worker in the background, so that its start (a Python process importing
    Jinja) overlaps the caller's own loading; ``render_texts`` then finds it ready. Failures are
    left to ``render_texts`` to report."""
    def start() -> None:
        global _worker
        with _lock:
            if _worker is None:
                try:
                    _worker = _Worker()
                except (InfrastructureError, OSError):
                    pass

    threading.Thread(target=start, name="template-worker-start", daemon=True).start()

"""Progress of one run on stderr: named phases and a generation bar that moves during a batch.

A :class:`RunProgress` is made current for the duration of a run (a context variable), so code
deep in a backend reports without taking a parameter: :func:`phase` names what happens now
(converting the bundled model, loading, generating, scoring, comparing) and :func:`tokens`
reports decoding steps. The bar counts the token budget (``max_new_tokens`` per request): each
decoding step advances it by the rows still active, and a finished request settles its unused
budget, so the bar moves within a batch instead of jumping at its end.

On a terminal the bar is live; otherwise (piped, CI logs) each phase is one plain line on stderr,
flushed after stdout, so progress and results keep their order in a combined log.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar[RunProgress | None] = ContextVar("harness_run_progress", default=None)


class RunProgress:
    """The progress display of one run (``label``: suite · model · side)."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        from rich.console import Console

        self.label, self.enabled = label, enabled
        self.console = Console(stderr=True, soft_wrap=True)
        self.live = enabled and self.console.is_terminal
        self._bar: Any = None
        self._task: Any = None
        self._phase = ""
        self._rows = (0, 0)
        self._stepped = 0
        self._started = time.monotonic()

    def phase(self, text: str) -> None:
        """A new phase: shown on the bar, or as one line when not on a terminal."""
        self._phase = text
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, description=self._description())
        elif not self.live:
            _line(self.console, f"{self.label}: {text}")
        else:
            self.console.print(f"[dim]{self.label}: {text}[/dim]", highlight=False)

    def start_generation(self, rows: int, cached: int, budget: int) -> None:
        """``rows`` requests to generate (``cached`` more served from the cache), ``budget`` tokens at most."""
        self._rows = (0, rows)
        self._started = time.monotonic()
        note = f", {cached} cached" if cached else ""
        self.phase(f"generating {rows} request(s){note}")
        if not (self.live and rows):
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                             TimeElapsedColumn(), console=self.console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self._description(), total=max(1, budget))

    def tokens(self, steps: int) -> None:
        """``steps`` tokens decoded (one per active row of a decoding step)."""
        self._stepped += steps
        if self._bar is not None:
            self._bar.advance(self._task, steps)

    def row_done(self, budget: int, new_tokens: int | None) -> None:
        """One request finished: settle its budget (what decoding steps did not already count)."""
        done, total = self._rows
        self._rows = (done + 1, total)
        settled = budget if not self._stepped else budget - (new_tokens or 0)
        if self._bar is not None:
            self._bar.update(self._task, advance=max(0, settled), description=self._description())

    def end_generation(self) -> None:
        """Close the bar and say how long generation took (once)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        done, total = self._rows
        self._rows = (0, 0)
        if self.enabled and total:
            elapsed = time.monotonic() - self._started
            message = f"{self.label}: generated {done}/{total} in {elapsed:.1f} s"
            _line(self.console, message) if not self.live else self.console.print(f"[dim]{message}[/dim]")

    def _description(self) -> str:
        done, total = self._rows
        rows = f" {done}/{total}" if total else ""
        return f"{self.label} · {self._phase}{rows}"


def _line(console: Any, text: str) -> None:
    """One plain line on stderr, after whatever stdout holds (stable order when both are piped)."""
    sys.stdout.flush()
    console.print(text, markup=False, highlight=False)
    console.file.flush()


@contextmanager
def run_progress(label: str, enabled: bool = True) -> Iterator[RunProgress]:
    """Make a :class:`RunProgress` current for the ``with`` block."""
    progress = RunProgress(label, enabled)
    token = _current.set(progress)
    try:
        yield progress
    finally:
        progress.end_generation()
        _current.reset(token)


def current_progress() -> RunProgress | None:
    """The progress of the run in progress (None outside a run)."""
    return _current.get()


def phase(text: str) -> None:
    """Name the current phase of the current run (no-op outside a run)."""
    progress = _current.get()
    if progress is not None:
        progress.phase(text)


def tokens(steps: int) -> None:
    """Report ``steps`` decoded tokens to the current run (no-op outside a run)."""
    progress = _current.get()
    if progress is not None:
        progress.tokens(steps)

"""The cyclic garbage collector, held off where pure Python builds many objects that all stay alive."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_kept = 0   # open `kept` scopes


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside: comparing cases and building their report make dozens of objects per case
    (millions for 100,000 cases), all kept and none in garbage cycles, so a collection meanwhile finds
    nothing. Inside a :func:`kept` scope, what is alive at the end is frozen (``gc.freeze``): later
    collections skip it instead of scanning those millions once more (100,000 cases: about 2 s of GC
    less). Only around computation that loads and runs no model (what garbage a model makes is
    collected as usual); a caller that had the collector off keeps it off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _kept:
            gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def kept() -> Iterator[None]:
    """A scope (one comparison) whose paused blocks freeze what they leave alive; at its end everything
    frozen goes back to the collector, so a long-lived process (a watch loop) leaks no garbage cycle."""
    global _kept
    _kept += 1
    try:
        yield
    finally:
        _kept -= 1
        if not _kept:
            gc.unfreeze()

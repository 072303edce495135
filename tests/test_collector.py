"""The collector is held off in paused blocks; inside a kept scope what they leave alive is frozen until
the scope ends, when everything goes back to the collector (a garbage cycle made meanwhile is freed)."""

from __future__ import annotations

import gc
import weakref

from harness import collector


class _Node:
    def __init__(self) -> None:
        self.me = self   # a reference cycle: only the cyclic collector frees it


def test_paused_blocks_collection_and_restores_it() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0   # outside a kept scope nothing is frozen
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()                          # a caller's "off" stays off
    finally:
        gc.enable()


def test_kept_scope_freezes_what_paused_blocks_leave_and_thaws_it_at_the_end() -> None:
    with collector.kept():
        with collector.kept():                             # nested scopes: thawed at the outermost end
            with collector.paused():
                cycle = _Node()
            assert gc.get_freeze_count() > 0 and gc.isenabled()
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is not None                          # frozen: the collector skips it
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None                                  # thawed: the cycle is collected

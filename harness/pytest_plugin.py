"""pytest plugin: collect suite cases as pytest items (``pytest --harness suites/``)."""

from __future__ import annotations


def pytest_addoption(parser) -> None:  # type: ignore[no-untyped-def]
    group = parser.getgroup("harness")
    group.addoption("--harness", action="append", default=[], metavar="PATH",
                    help="collect harness suites under PATH as test items")
    group.addoption("--harness-model", default=None, metavar="SPEC",
                    help="model spec for --harness (default: the project's default model)")

"""Name -> factory registries that users extend by decorator or entry point."""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from harness.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A kebab-case name registry; third-party entries come from an entry-point group."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind, self.group = kind, group
        self._items: dict[str, T] = {}
        self._plugins_loaded = False

    def register(self, name: str, item: T) -> T:
        self._items[name] = item
        return item

    def decorator(self, name: str):
        def wrap(item: T) -> T:
            return self.register(name, item)
        return wrap

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def get(self, name: str, **where: object) -> T:
        if name not in self._items:
            self._load_plugins()
        if name not in self._items:
            raise ConfigError(self.unknown_message(name), **where)  # type: ignore[arg-type]
        return self._items[name]

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {self.kind} '{name}'{hint} (known: {', '.join(self.names())})"

    def __contains__(self, name: str) -> bool:
        if name not in self._items:
            self._load_plugins()
        return name in self._items

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name in self._items:
                continue
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken third-party package, not a harness bug
                raise ConfigError(f"{self.kind} plugin '{ep.name}' ({ep.value}, entry point group "
                                  f"'{self.group}') failed to load: {type(exc).__name__}: {exc}") from None
            # A plugin module may register itself on import; otherwise register what it exported.
            if ep.name not in self._items:
                self._items[ep.name] = loaded

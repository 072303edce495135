"""Shared fixtures: ``store_url`` (a fresh SQLite file, or a fresh PostgreSQL database)."""

from tests.store_support import store_url  # noqa: F401

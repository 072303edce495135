"""Links between the pages of a paged listing (runs, comparisons, trend windows, a comparison's cases),
keeping its filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from harness.store import Page

NEWEST_FIRST = ("« newest", "‹ newer", "older ›", "oldest »")
IN_ORDER = ("« first", "‹ previous", "next ›", "last »")


@dataclass(frozen=True)
class Pager:
    """What the pager partial shows: "runs 51–100 of 10,000 · page 2 of 200" and the four links."""

    noun: str
    number: int
    pages: int
    total: int
    first: int
    last: int
    first_url: str | None
    previous_url: str | None
    next_url: str | None
    last_url: str | None
    labels: tuple[str, str, str, str] = NEWEST_FIRST

    @classmethod
    def of(cls, page: Page[Any], noun: str, path: str, params: Mapping[str, str],
           labels: tuple[str, str, str, str] = NEWEST_FIRST) -> Pager:
        """Links to the first, previous, next and last pages (None where there is no such page);
        ``labels`` name them (newest first by default)."""
        kept = {k: v for k, v in params.items() if k not in ("page", "token") and v != ""}

        def url(number: int) -> str:
            return f"{path}?{urlencode({**kept, 'page': str(number)})}"

        back, ahead = page.has_previous, page.has_next
        return cls(noun, page.number, page.pages, page.total, page.first, page.last,
                   url(1) if back else None, url(page.number - 1) if back else None,
                   url(page.number + 1) if ahead else None, url(page.pages) if ahead else None, labels)

"""Following a paged dashboard listing from one page to the next (shared by the paging tests)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from harness.dashboard import create_app


def dashboard_client(url: str) -> TestClient:
    """A test client of the dashboard over the history database at ``url``."""
    return TestClient(create_app(url), base_url="http://127.0.0.1:8765")


def walk_pages(client: Any, path: str, rows: Callable[[str], list], on_page: Callable[[str], None] = lambda _: None,
               most: int = 10) -> tuple[list, list[str], str]:
    """Every row from ``path`` on, following ``rel="next"`` links: (rows, pages visited, the last page's HTML)."""
    seen: list = []
    visited: list[str] = []
    html = ""
    while path:
        html = client.get(path).text
        visited.append(path)
        seen += rows(html)
        on_page(html)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        path = found.group(1).replace("&amp;", "&") if found else ""
        assert len(visited) <= most, "pager loops"
    return seen, visited, html


def assert_paged(client: Any, base: str, rows: Callable[[str], list], expected: list,
                 on_page: Callable[[str], None] = lambda _: None) -> str:
    """The listing at ``base`` pages ``expected`` (more than 500 rows) as every paged page does: 500
    per page visit each row once in order, ``prev`` goes back, a page past the end shows the last
    one, odd values mean the defaults (100 per page), and 500 per page is the cap. The last page's HTML."""
    total, big, small = len(expected), -(-len(expected) // 500), -(-len(expected) // 100)
    seen, visited, html = walk_pages(client, f"{base}?per_page=500", rows, on_page)
    assert seen == expected and len(visited) == big
    span = f"cases {500 * (big - 1) + 1:,}–{total:,} of {total:,}"
    assert "per_page=500" in visited[-1] and f"{span} · page {big} of {big}" in html
    previous = re.search(r'rel="prev" href="([^"]+)"', html)
    assert previous and rows(client.get(previous.group(1).replace("&amp;", "&")).text) == seen[-500 - total % 500:
                                                                                            -(total % 500) or None]
    last = client.get(f"{base}?page=999")
    assert last.status_code == 200 and f"{100 * (small - 1) + 1:,}–{total:,} of {total:,} · page {small} of {small}" \
        in last.text
    assert rows(last.text) == expected[100 * (small - 1):] and 'rel="next"' not in last.text
    assert f'rel="first" href="{base}?page=1"' in last.text
    for odd in ("page=0", "page=abc&per_page=0", "page=-3&per_page=x"):
        assert rows(client.get(f"{base}?{odd}").text) == expected[:100], odd
    assert len(rows(client.get(f"{base}?per_page=100000").text)) == 500  # the cap
    return last.text

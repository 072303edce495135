"""The regression dashboard: a read-only web app over the history store.

Starlette and uvicorn are imported only when the app is created, so the shared view code
(used by the static HTML report) works without the ``dashboard`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette


def create_app(store_url: str, **kwargs: Any) -> Starlette:
    """See :func:`harness.dashboard.app.create_app`."""
    from harness.dashboard.app import create_app as _create_app
    return _create_app(store_url, **kwargs)


def serve(db_url: str, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          **kwargs: Any) -> None:
    """See :func:`harness.dashboard.app.serve`."""
    from harness.dashboard.app import serve as _serve
    _serve(db_url, host=host, port=port, token=token, **kwargs)

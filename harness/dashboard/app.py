"""The dashboard web app: Starlette routes over the history store. Read-only, no JavaScript."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from harness.dashboard import pages
from harness.dashboard.lineage import alias_list, lineage_page
from harness.dashboard.pager import IN_ORDER, NEWEST_FIRST, Pager
from harness.dashboard.report_view import comparison_view, run_view
from harness.dashboard.security import (
    LOOPBACK_HOSTS,
    SecurityMiddleware,
    check_bind,
    hosts_for_bind,
)
from harness.dashboard.templating import DASHBOARD_LAYOUT, STATIC, render
from harness.store import Page, RunFilter, Store

DEFAULT_PORT = 8765
RUNS_PER_PAGE = 50  # rows per page of /runs and /comparisons (``per_page`` changes it, up to 500)
CASES_PER_PAGE = 100  # cases per page of /comparison/ID and /run/ID (``per_page`` changes it, up to 500)


def create_app(store_url: str, *, token: str | None = None,
               allowed_hosts: Iterable[str] = LOOPBACK_HOSTS) -> Starlette:
    """The dashboard over the store at ``store_url``; requests are checked by
    :class:`SecurityMiddleware` (Host/Origin allow-list, optional token)."""
    store = Store(store_url)
    routes = [
        Route("/", lambda r: _page("overview.html", page=pages.overview(store, _filter(r)))),
        Route("/trends", lambda r: _trends(store, r)),
        Route("/runs", lambda r: _runs(store, r)),
        Route("/comparisons", lambda r: _comparisons(store, r)),
        Route("/comparison/{comparison_id}", lambda r: _comparison(store, r)),
        Route("/run/{run_id}", lambda r: _run(store, r)),
        Route("/case", lambda r: _case(store, r)),
        Route("/aliases", lambda r: _page("aliases.html", aliases=alias_list(store))),
        Route("/alias/{alias}", lambda r: _alias(store, r)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(SecurityMiddleware, allowed_hosts=allowed_hosts, token=token)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: _not_found})
    app.state.store = store
    return app


def serve(db_url: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          token: str | None = None, allowed_hosts: Iterable[str] = ()) -> None:
    """Run the dashboard until interrupted. Beyond loopback a token is required."""
    import uvicorn

    check_bind(host, token)
    app = create_app(db_url, token=token, allowed_hosts=hosts_for_bind(host, allowed_hosts))
    print(dashboard_banner(db_url, host, port), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True, server_header=False,
                proxy_headers=False, log_config=_LOG_CONFIG)


def dashboard_banner(db_url: str, host: str, port: int) -> str:
    """What ``harness dashboard`` prints first: the URL to open and the database served (password hidden)."""
    import sqlalchemy as sa

    shown_host = f"[{host}]" if ":" in host else host
    safe_db = sa.engine.make_url(db_url).render_as_string(hide_password=True)
    return f"harness dashboard: http://{shown_host}:{port}/  (history {safe_db}; Ctrl+C to stop)"


# uvicorn's own logging, on stderr: one line per request (the access log), startup errors; no colours.
_LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(message)s", "datefmt": "%H:%M:%S"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {"uvicorn.error": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}


def _page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **context), status_code=status_code)


class Query(BaseModel):
    """The query parameters the pages read (others are ignored; empty means not given)."""

    model_config = ConfigDict(extra="ignore")

    suite: str = ""
    model: str = ""
    prompt: str = ""
    tag: str = ""
    since: str = ""
    until: str = ""
    by: str = ""
    case: str = ""
    page: str = ""
    per_page: str = ""

    def number(self, name: str, default: int) -> int:
        """A positive integer parameter; anything else (absent, text, zero) means ``default``."""
        value = getattr(self, name)
        return int(value) if value.isdigit() and int(value) > 0 else default


def _query(request: Request) -> Query:
    return Query.model_validate(dict(request.query_params))


def _filter(request: Request) -> RunFilter:
    q = _query(request)
    return RunFilter(suite_id=q.suite or None, model=q.model or None, prompt_version=q.prompt or None,
                     tag=q.tag or None, since=q.since or None, until=q.until or None)


def _trends(store: Store, request: Request) -> HTMLResponse:
    query = _query(request)
    by: pages.SeriesBy = "prompt" if query.by == "prompt" else "model"
    flt = _filter(request)
    view = pages.trends(store, flt, by, query.number("page", 1), query.number("per_page", pages.TREND_RUNS))
    return _page("trends.html", suites=view.suites, pager=_pager(request, view.runs, "complete runs"), flt=flt,
                 by=by, choices=store.filter_values())


def _runs(store: Store, request: Request) -> HTMLResponse:
    query, flt = _query(request), _filter(request)
    runs = store.run_page(flt, query.number("page", 1), query.number("per_page", RUNS_PER_PAGE))
    return _page("runs.html", runs=runs, pager=_pager(request, runs, "runs"), flt=flt, choices=store.filter_values())


def _comparisons(store: Store, request: Request) -> HTMLResponse:
    query = _query(request)
    suites = [query.suite] if query.suite else None
    found = store.comparison_page(query.number("page", 1), query.number("per_page", RUNS_PER_PAGE), suites)
    return _page("comparisons.html", comparisons=found.items, pager=_pager(request, found, "comparisons"),
                 suite=query.suite)


def _pager(request: Request, page: Page[Any], noun: str, labels: tuple[str, str, str, str] = NEWEST_FIRST) -> Pager:
    return Pager.of(page, noun, request.url.path, dict(request.query_params), labels)


def _full_id(store: Store, ref: str, kind: str) -> str:
    """An id or unique prefix (as ``harness report`` takes) -> the full id of that kind; else ``ref``."""
    from harness.errors import UsageError

    try:
        found_kind, full_id = store.resolve(ref)
    except UsageError:
        return ref
    return full_id if found_kind == kind else ref


def _comparison(store: Store, request: Request) -> HTMLResponse:
    """One page of the comparison's cases (regressions first); counts, verdict and statistics over all."""
    comparison_id = _full_id(store, request.path_params["comparison_id"], "comparison")
    query = _query(request)
    row = store.comparison(comparison_id)
    found = None if row is None else store.comparison_case_page(
        comparison_id, query.number("page", 1), query.number("per_page", CASES_PER_PAGE))
    if row is None or found is None:
        return _missing(f"No comparison {comparison_id}.")
    run_ids = {r.suite_id: (r.baseline_run_id, r.candidate_run_id)
               for r in store.comparison_suites(comparison_ids=[comparison_id])}
    view = comparison_view(found.report, comparison_id=comparison_id, created_at=row.created_at,
                           run_ids=run_ids, status_counts=found.status_counts)
    return _page("comparison.html", view=view, layout=DASHBOARD_LAYOUT, links=True,
                 pager=_pager(request, found.cases, "cases", IN_ORDER))


def _run(store: Store, request: Request) -> HTMLResponse:
    """One page of the run's cases (failed first); pass rate and counts over all of them."""
    run_id = _full_id(store, request.path_params["run_id"], "run")
    query = _query(request)
    found = store.run_case_page(run_id, query.number("page", 1), query.number("per_page", CASES_PER_PAGE))
    if found is None:
        return _missing(f"No run {run_id}.")
    return _page("run.html", view=run_view(found.report, found.counts), layout=DASHBOARD_LAYOUT, links=True,
                 pager=_pager(request, found.cases, "cases", IN_ORDER))


def _case(store: Store, request: Request) -> HTMLResponse:
    query = _query(request)
    suite_id, case_id = query.suite, query.case
    page = pages.case_page(store, suite_id, case_id, query.number("page", 1), query.number("per_page", pages.CASE_RUNS))
    if not page.timeline.points and not page.statuses:
        return _missing(f"No history for case {case_id} in suite {suite_id}.")
    return _page("case.html", page=page, pager=_pager(request, page.runs, "runs"))


def _alias(store: Store, request: Request) -> HTMLResponse:
    alias = request.path_params["alias"]
    page = lineage_page(store, alias)
    if page is None:
        return _missing(f"No alias {alias}.")
    return _page("alias.html", page=page)


def _missing(message: str) -> HTMLResponse:
    return _page("error.html", status_code=404, status="Not found", message=message)


async def _not_found(_request: Request, _exc: Exception) -> HTMLResponse:
    return _missing("No such page.")

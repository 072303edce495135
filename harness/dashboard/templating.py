"""The one Jinja2 environment for dashboard pages and static HTML reports (autoescape on)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import harness

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
DASHBOARD_LAYOUT = "layout_dashboard.html"
STATIC_LAYOUT = "layout_static.html"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape everything (HTML and inline SVG); undefined names are errors."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_static(template: str, **context: Any) -> str:
    """A self-contained page: the stylesheet inlined and pinned by hash in the page's CSP."""
    css = stylesheet()
    return render(template, layout=STATIC_LAYOUT, links=False, css=Markup(css),
                  css_hash=_csp_hash(css), harness_version=harness.__version__, **context)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """Our own CSS (a trusted asset, not data); it must not be able to close the element."""
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    if "<" in css:
        raise ValueError("style.css must not contain '<'")
    return css


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")

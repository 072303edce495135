"""Security of the dashboard: Host/Origin checks, access token, response headers.

A pure ASGI middleware so that every response (errors included) gets the headers.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.errors import SecurityError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
COOKIE = "harness_token"
TOKEN_HEADER = "x-harness-token"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = ((b"content-security-policy", CSP.encode()),
           (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin"),
           (b"cross-origin-resource-policy", b"same-origin"))


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without an access token."""
    if not is_loopback(host) and not token:
        raise SecurityError(f"the dashboard binds {host}, which is not loopback: "
                            "give an access token (--token) or bind 127.0.0.1")


def hosts_for_bind(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names to accept when listening on ``host``."""
    names = set(LOOPBACK_HOSTS) | {h.lower() for h in extra}
    if host in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(host.strip("[]").lower())
    return frozenset(names)


class SecurityMiddleware:
    """403 for foreign Host/Origin (DNS rebinding), 401 without the token, 405 for writes."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str],
                 token: str | None) -> None:
        self.app = app
        self.allowed = frozenset(h.strip("[]").lower() for h in allowed_hosts)
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        secured = _with_headers(send)
        response = self._refusal(scope)
        if response is not None:
            await response(scope, receive, secured)
            return
        await self.app(scope, receive, secured)

    def _refusal(self, scope: Scope) -> Response | None:
        if scope["type"] != "http":
            return PlainTextResponse("only HTTP is served", status_code=403)
        headers = Headers(scope=scope)
        if not self._host_ok(headers.get("host", "")):
            return PlainTextResponse("forbidden: foreign Host header", status_code=403)
        origin = headers.get("origin")
        if origin is not None and not self._origin_ok(origin):
            return PlainTextResponse("forbidden: foreign Origin header", status_code=403)
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("read-only dashboard", status_code=405)
        return self._token_refusal(scope, headers, self.token) if self.token else None

    def _host_ok(self, host: str) -> bool:
        if not host:
            return False
        return _hostname(host) in self.allowed

    def _origin_ok(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.allowed

    def _token_refusal(self, scope: Scope, headers: Headers, token: str) -> Response | None:
        auth = headers.get("authorization", "")
        offered = [headers.get(TOKEN_HEADER, ""),
                   auth[7:] if auth.lower().startswith("bearer ") else ""]
        if any(_matches(t, token) for t in offered):
            return None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if _matches(query.get("token", ""), token):
            return _set_cookie_and_strip(scope, query, token)
        if _matches(_cookies(headers).get(COOKIE, ""), token):
            return None
        return PlainTextResponse("access token required: add ?token=... to the URL",
                                 status_code=401)



def _matches(offered: str, token: str) -> bool:
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


def _set_cookie_and_strip(scope: Scope, query: dict[str, str], token: str) -> Response:
    """Move the token from the URL into an HttpOnly cookie, then reload without it."""
    rest = urlencode({k: v for k, v in query.items() if k != "token"})
    path = "/" + str(scope["path"]).lstrip("/\\")  # never "//host": no open redirect
    response = RedirectResponse(path + (f"?{rest}" if rest else ""), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cookies(headers: Headers) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            jar[name] = value
    return jar


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in HEADERS if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)
    return wrapped


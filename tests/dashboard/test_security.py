"""HTTP-level security of the dashboard: Host/Origin checks, CSP, token, read-only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from harness.dashboard import create_app, serve
from harness.dashboard.security import check_bind, hosts_for_bind, is_loopback
from harness.errors import SecurityError
from tests.dashboard.conftest import FilledStore

LOCAL = "http://127.0.0.1:8765"
TOKEN = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def client(filled: FilledStore) -> Iterator[TestClient]:
    with TestClient(create_app(filled.url), base_url=LOCAL) as c:
        yield c


@pytest.fixture(scope="module")
def guarded(filled: FilledStore) -> Iterator[TestClient]:
    app = create_app(filled.url, token=TOKEN)
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
        yield c


def pages(filled: FilledStore) -> list[str]:
    return ["/", "/trends", "/comparisons", f"/comparison/{filled.comparison_id}",
            f"/run/{filled.candidate_run_id}", "/case?suite=capitals&case=france",
            "/static/style.css", "/no-such-page"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "[::2]:8765", ""])
def test_foreign_host_is_forbidden(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 403
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765"])
def test_loopback_hosts_are_served(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example",
                                    "file://", "chrome-extension://abc"])
def test_foreign_origin_is_forbidden(client: TestClient, origin: str) -> None:
    assert client.get("/", headers={"origin": origin}).status_code == 403


def test_same_origin_is_allowed(client: TestClient) -> None:
    assert client.get("/", headers={"origin": "http://127.0.0.1:8765"}).status_code == 200


def test_every_response_has_csp_without_unsafe_inline(client: TestClient,
                                                      filled: FilledStore) -> None:
    for path in pages(filled):
        response = client.get(path)
        assert response.status_code == (404 if path == "/no-such-page" else 200), path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_pages_have_no_scripts_no_inline_styles_no_external_urls(client: TestClient,
                                                                 filled: FilledStore) -> None:
    for path in pages(filled)[:-2]:
        html = client.get(path).text
        assert "<script" not in html and " style=" not in html and "<style" not in html, path
        assert "http://" not in html and "https://" not in html and "//cdn" not in html, path


def test_writes_are_refused(client: TestClient) -> None:
    assert client.post("/").status_code == 405
    assert client.delete("/comparisons").status_code == 405


def test_token_required_when_configured(guarded: TestClient) -> None:
    assert guarded.get("/").status_code == 401
    assert guarded.get("/static/style.css").status_code == 401
    assert guarded.get("/", headers={"x-harness-token": "wrong"}).status_code == 401
    assert guarded.get("/?token=wrong").status_code == 401
    assert guarded.get("/", headers={"x-harness-token": TOKEN}).status_code == 200
    assert guarded.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_token_in_url_becomes_a_cookie(guarded: TestClient) -> None:
    response = guarded.get(f"/trends?suite=capitals&token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["location"] == "/trends?suite=capitals"
    cookie = response.headers["set-cookie"]
    assert "harness_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    guarded.cookies.set("harness_token", TOKEN)
    follow = guarded.get("/trends?suite=capitals")
    guarded.cookies.clear()
    assert follow.status_code == 200 and "capitals" in follow.text


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x", "///evil.example"])
def test_token_redirect_stays_on_this_site(guarded: TestClient, path: str) -> None:
    response = guarded.get(f"{LOCAL}{path}?token={TOKEN}")
    guarded.cookies.clear()
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


def test_host_check_comes_before_the_token(guarded: TestClient) -> None:
    response = guarded.get("/", headers={"host": "evil.example", "x-harness-token": TOKEN})
    assert response.status_code == 403


def test_binding_beyond_loopback_requires_a_token(filled: FilledStore) -> None:
    with pytest.raises(SecurityError, match="--token"):
        serve(filled.url, host="0.0.0.0", port=1)
    with pytest.raises(SecurityError, match="not loopback"):
        check_bind("192.168.1.20", None)
    check_bind("192.168.1.20", "t")
    check_bind("127.0.0.1", None)
    check_bind("::1", None)


def test_loopback_detection_and_bind_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.com", "::"))
    assert "dash.internal" in hosts_for_bind("dash.internal")
    assert "10.1.2.3" in hosts_for_bind("10.1.2.3", ["Dash.Example"])
    assert "dash.example" in hosts_for_bind("10.1.2.3", ["Dash.Example"])


def test_allowed_hosts_extend_the_list(filled: FilledStore) -> None:
    app = create_app(filled.url, token=TOKEN, allowed_hosts=["dash.example"])
    with TestClient(app, base_url="http://dash.example") as c:
        assert c.get("/", headers={"x-harness-token": TOKEN}).status_code == 200
        assert c.get("/", headers={"host": "127.0.0.1", "x-harness-token": TOKEN}
                     ).status_code == 403

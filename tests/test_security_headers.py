"""Security headers on every answer, a strict CSP on the pages, /metrics behind a token,
and the API docs that can be turned off."""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import AsyncIterator
from hashlib import sha256

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings

PAGES = [
    "/",
    "/app/labeling",
    "/app/videos",
    "/app/dubbing",
    "/app/workspace",
    "/app/workspace/r1",
    "/app/admin",
    "/app/me",
    "/app/verify-email",
]


async def _client_for(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PAGES)
async def test_pages_have_a_strict_content_security_policy(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    csp = _directives(response.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["default-src"]
    assert set(csp["media-src"]) <= {"'self'", "blob:", "data:"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/healthz", None),
        ("GET", "/app/videos", None),
        ("GET", "/app/static/api.js", None),
        ("GET", "/v1/nothing-here", None),
        ("GET", "/v1/users/me", None),
        ("POST", "/v1/auth/register", b"x" * 2_000_000),
        ("GET", "/openapi.json", None),
    ],
)
async def test_every_answer_has_the_common_headers(
    client: AsyncClient, method: str, path: str, body: bytes | None
) -> None:
    response = await client.request(method, path, content=body)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # public URL is http


async def test_hsts_when_the_public_url_is_https(settings: Settings, clock: FrozenClock) -> None:
    settings.public_url = "https://backlot.example.com"
    async for http in _client_for(create_app(settings, clock)):
        for path in ("/healthz", "/app/videos", "/v1/nothing"):
            hsts = (await http.get(path)).headers["strict-transport-security"]
            assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) > 0


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_docs_policy_names_no_other_host(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "http" not in policy and "*" not in policy
    csp = _directives(policy)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    # Inline scripts run by their hash only: exactly the page's own, never any inline one.
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    hashes = [f"'sha256-{b64encode(sha256(s.encode()).digest()).decode()}'" for s in scripts]
    assert csp["script-src"] == ["'self'", *hashes]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in policy
    # Inline styles only where ReDoc's styled-components needs them.
    inline_styles = ["'unsafe-inline'"] if path == "/redoc" else []
    assert csp["style-src"] == ["'self'", *inline_styles]
    # Every script, stylesheet and icon the page loads is ours; its one link leads home.
    for url in re.findall(r'(?:src|href)="([^"]*)"', response.text):
        assert url == "/" or url.startswith(("/app/vendor/", "/app/static/")), url


async def test_metrics_answer_404_while_no_token_is_set(client: AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_need_the_token(settings: Settings, clock: FrozenClock) -> None:
    settings.metrics_token = SecretStr("scrape-me-0123456789")
    async for http in _client_for(create_app(settings, clock)):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            response = await http.get("/metrics", headers=headers)
            assert response.status_code == 401, headers
            assert response.json()["code"] == "invalid_metrics_token"
            assert "backlot_http_requests" not in response.text
        good = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
        assert good.status_code == 200
        assert "backlot_http_requests" in good.text


async def test_docs_can_be_turned_off(settings: Settings, clock: FrozenClock) -> None:
    settings.docs_enabled = False
    async for http in _client_for(create_app(settings, clock)):
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"
        assert (await http.get("/healthz")).status_code == 200

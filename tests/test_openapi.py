"""Swagger shows every route with a tag, a success schema and its error responses."""

from __future__ import annotations

from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings

OPS = {"/healthz", "/readyz", "/metrics"}


async def test_every_operation_is_documented(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Backlot"
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("tags"), f"{where} has no tag"
        assert op.get("summary") or op.get("description"), where
        if path in OPS:
            continue
        assert path.startswith("/v1/"), where
        codes = set(op["responses"])
        success = [c for c in codes if c.startswith("2")]
        assert success, f"{where} declares no success response"
        errors = {c for c in codes if c[0] in "45"}
        assert errors, f"{where} declares no error responses"
        for code in errors:
            content = op["responses"][code].get("content", {})
            assert "application/problem+json" in content, f"{where} {code} is not problem JSON"


async def test_login_documents_both_body_types(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"]["/v1/auth/login"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(body)
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("flows", {}).get("password") for s in schemes.values())


async def test_docs_page(client: AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/app/vendor/swagger-ui-bundle.js" in response.text


async def test_the_docs_libraries_are_served_by_us(client: AsyncClient) -> None:
    media_types = {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "swagger-favicon.png": "image/png",
        "redoc.standalone.js": "text/javascript",
    }
    for name, media_type in media_types.items():
        response = await client.get(f"/app/vendor/{name}")
        if response.status_code == 404:  # npm has not installed them here
            assert response.json()["code"] == "browser_library_missing"
            continue
        assert response.headers["content-type"].startswith(media_type), name
        assert b"cdn.redoc.ly" not in response.content, name


async def test_metrics_count_requests_by_route(settings: Settings, clock: FrozenClock) -> None:
    settings.metrics_token = SecretStr("scrape")
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/healthz")
            await client.get("/v1/users/12345")
            auth = {"Authorization": "Bearer scrape"}
            text = (await client.get("/metrics", headers=auth)).text
        assert 'backlot_http_requests_total{method="GET",route="/healthz",status="200"}' in text
        assert 'route="/v1/users/{user_id:int}",status="401"' in text

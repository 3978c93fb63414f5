"""The lock endpoint's lean handler (labeling/lean.py) answers as FastAPI's own would:
the same body, headers and problems, and it hands FastAPI whatever it does not run."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from backlot.core.settings import Settings
from tests.helpers import World, bearer, build_world


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def _project(client: AsyncClient, world: World) -> int:
    response = await client.post(
        "/v1/labeling/projects", json={"name": "Lean"}, headers=world.admin.headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_lean_and_standard_answers_match(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    body = f'{{"project_id": {project}, "file_name": "a.jpg"}}'.encode()
    # A +json type is FastAPI's to parse: the standard handler answers it.
    standard = await client.post(
        "/v1/labeling/lock",
        content=body,
        headers={**world.guest.headers, "Content-Type": "application/vnd.test+json"},
    )
    lean = await client.post(
        "/v1/labeling/lock",
        content=body,
        headers={**world.guest.headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert standard.status_code == lean.status_code == 200, (standard.text, lean.text)
    first, renewed = standard.json(), lean.json()
    assert list(first) == list(renewed)  # same fields, in the same order
    assert renewed["token"] == first["token"]  # a renewal keeps the fencing token
    assert {k: v for k, v in renewed.items() if k not in ("expires_at", "expires_in_ms")} == {
        k: v for k, v in first.items() if k not in ("expires_at", "expires_in_ms")
    }
    assert lean.headers["content-type"] == standard.headers["content-type"]
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert lean.headers[name] == standard.headers[name]


async def test_lean_handler_problems(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    good = f'{{"project_id": {project}, "file_name": "b.jpg"}}'.encode()
    cases = [
        (b'{"project_id": ', world.guest.headers, "application/json", 400, "malformed_json"),
        (b'{"file_name": "b.jpg"}', world.guest.headers, "application/json", 422, None),
        (good, {}, "application/json", 401, "not_authenticated"),
        (good, bearer("not-a-token"), "application/json", 401, "invalid_token"),
        (good, world.other_admin.headers, "application/json", 404, None),
        (good, world.guest.headers, None, 422, None),  # no content type: not JSON
    ]
    for body, headers, kind, status, code in cases:
        sent = {**headers, **({"Content-Type": kind} if kind else {})}
        answer = await client.post("/v1/labeling/lock", content=body, headers=sent)
        assert answer.status_code == status, (body, kind, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        if code is not None:
            assert answer.json()["code"] == code
    taken = await client.post(
        "/v1/labeling/lock",
        content=good,
        headers={**world.guest.headers, "Content-Type": "application/json"},
    )
    assert taken.status_code == 200
    held = await client.post(
        "/v1/labeling/lock",
        content=good,
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    assert held.status_code == 409
    assert held.json()["code"] == "lock_held"
    assert held.json()["locked_by_id"] == world.guest.id

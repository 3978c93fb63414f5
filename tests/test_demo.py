"""`backlot demo`: the demo company's data, seen through the API as its printed admin, on
every database and object store; a second run adds nothing."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest
from httpx import AsyncClient
from pydantic import SecretStr

from backlot.core.settings import Settings
from backlot.demo import DEMO_PASSWORD, IMAGES, LINES, fill_demo
from tests.conftest import needs_s3
from tests.helpers import bearer, login
from tests.s3 import S3Server


@pytest.fixture(params=["local", pytest.param("s3", marks=needs_s3)])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "local":
        return settings
    server: S3Server = request.getfixturevalue("s3_server")
    return settings.model_copy(
        update={
            "storage_url": f"s3://{server.bucket}/demo-{uuid.uuid4().hex[:10]}",
            "s3_endpoint_url": server.endpoint,
            "s3_access_key_id": server.access_key,
            "s3_secret_access_key": SecretStr(server.secret_key),
        }
    )


async def _total(client: AsyncClient, path: str, headers: dict[str, str]) -> int:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def _what_the_admin_sees(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Every app's demo data, checked to be usable, as counts."""
    (project,) = (await client.get("/v1/labeling/projects", headers=headers)).json()["items"]
    images = (
        await client.get(f"/v1/labeling/projects/{project['id']}/files", headers=headers)
    ).json()["items"]
    image = await client.get(images[0]["content_url"], headers=headers)
    assert (image.status_code, image.content[:4]) == (200, b"\x89PNG")

    (video,) = (await client.get("/v1/videos", headers=headers)).json()["items"]
    url = (await client.post(f"/v1/videos/{video['id']}/stream-url", headers=headers)).json()
    part = await client.get(url["url"], headers={"Range": "bytes=0-99"})
    assert (part.status_code, len(part.content)) == (206, 100)

    snapshots = await client.get("/v1/workspace/rooms/backlot-demo/snapshots", headers=headers)
    (snapshot,) = snapshots.json()["items"]
    program = await client.get(
        f"/v1/workspace/rooms/backlot-demo/snapshots/{snapshot['version']}", headers=headers
    )
    assert "controls_repeat_ext" in program.json()["xml"]

    (script,) = (await client.get("/v1/scripts", headers=headers)).json()["items"]
    lines = (await client.get(f"/v1/scripts/{script['id']}/tokens", headers=headers)).json()
    assert all(line["audio_url"] for line in lines["items"])
    audio = await client.get(lines["items"][0]["audio_url"])
    assert (audio.status_code, audio.content[:4]) == (200, b"OggS")
    return {
        "users": await _total(client, "/v1/users", headers),
        "images": len(images),
        "videos": 1,
        "snapshots": snapshots.json()["total"],
        "lines": lines["total"],
    }


async def test_demo_fills_every_app_once(settings: Settings, client: AsyncClient) -> None:
    report = await fill_demo(settings)
    admin, *members = report.accounts
    assert (admin.role, admin.password) == ("admin", DEMO_PASSWORD)
    for member in members:  # verified, usable at once
        await login(client, member.email, DEMO_PASSWORD)
    headers = bearer((await login(client, admin.email, DEMO_PASSWORD))["access_token"])
    seen = await _what_the_admin_sees(client, headers)
    assert seen == {"users": 3, "images": IMAGES, "videos": 1, "snapshots": 1, "lines": len(LINES)}

    again = await fill_demo(settings)
    unchanged = [replace(account, password=None) for account in report.accounts]
    assert again == replace(report, accounts=unchanged)
    assert await _what_the_admin_sees(client, headers) == seen
    assert report.summary("http://127.0.0.1:8000").count("/app/") == 4

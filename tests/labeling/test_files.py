"""Labeling files with content: image upload (sniffed, limited, all or nothing), and the
image served with ranges and validators."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from httpx import AsyncClient, Response

from backlot.core.settings import Settings
from tests.helpers import World, build_world

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(3000)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        labeling_max_image_bytes=20_000,
    )


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


@pytest.fixture
async def project(client: AsyncClient, world: World) -> int:
    made = await client.post(
        "/v1/labeling/projects", json={"name": "Images"}, headers=world.admin.headers
    )
    return int(made.json()["id"])


def _stored(settings: Settings) -> list[Path]:
    return [p for p in (settings.var_dir / "objects" / "data").rglob("*") if p.is_file()]


async def _upload(
    client: AsyncClient, world: World, project: int, data: bytes, filename: str, **form: str
) -> Response:
    return await client.post(
        f"/v1/labeling/projects/{project}/files/upload",
        files={"file": (filename, data, "application/octet-stream")},
        data=form,
        headers=world.guest.headers,
    )


async def test_upload_then_list_and_fetch(
    client: AsyncClient, world: World, project: int, settings: Settings
) -> None:
    made = await _upload(client, world, project, PNG, "folder/cat.png")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["name"], body["content_type"], body["size"]) == ("cat.png", "image/png", len(PNG))
    listed = await client.get(f"/v1/labeling/projects/{project}/files", headers=world.guest.headers)
    assert [f["name"] for f in listed.json()["items"]] == ["cat.png"]
    url = body["content_url"]
    whole = await client.get(url, headers=world.guest.headers)
    assert whole.status_code == 200
    assert whole.content == PNG
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-disposition"].startswith("inline;")
    etag = whole.headers["etag"]
    part = await client.get(url, headers={**world.guest.headers, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == PNG[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(PNG)}"
    suffix = await client.get(url, headers={**world.guest.headers, "Range": "bytes=-100"})
    assert suffix.content == PNG[-100:]
    beyond = await client.get(url, headers={**world.guest.headers, "Range": "bytes=99999-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(PNG)}"
    assert beyond.json()["code"] == "range_not_satisfiable"
    cached = await client.get(url, headers={**world.guest.headers, "If-None-Match": etag})
    assert cached.status_code == 304
    stale = await client.get(
        url, headers={**world.guest.headers, "Range": "bytes=0-9", "If-Range": '"other"'}
    )
    assert (stale.status_code, stale.content) == (200, PNG)
    head = await client.head(url, headers=world.guest.headers)
    assert (head.status_code, head.headers["content-length"], head.content) == (
        200,
        str(len(PNG)),
        b"",
    )
    outsider = await client.get(url, headers=world.other_admin.headers)
    assert outsider.status_code == 404
    assert len(_stored(settings)) == 1


async def test_explicit_name_and_duplicates(
    client: AsyncClient, world: World, project: int, settings: Settings
) -> None:
    first = await _upload(client, world, project, JPEG, "x.bin", name="dog.jpg")
    assert first.json()["content_type"] == "image/jpeg"
    again = await _upload(client, world, project, PNG, "y.png", name="dog.jpg")
    assert again.status_code == 409
    assert again.json()["code"] == "file_exists"
    registered = await client.post(
        f"/v1/labeling/projects/{project}/files",
        json={"name": "plain.jpg"},
        headers=world.guest.headers,
    )
    assert registered.json()["content_url"] is None
    no_content = await client.get(
        f"/v1/labeling/projects/{project}/files/{registered.json()['id']}/content",
        headers=world.guest.headers,
    )
    assert no_content.status_code == 404
    assert len(_stored(settings)) == 1


@pytest.mark.parametrize(
    ("data", "filename", "form", "status", "code"),
    [
        (b"plain text, named like an image", "a.png", {}, 415, "unsupported_media_type"),
        (b"", "a.png", {}, 422, "empty_file"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(30_000), "big.png", {}, 413, "payload_too_large"),
        (PNG, "a.png", {"name": "../escape.png"}, 422, "validation_failed"),
        (PNG, "a.png", {"name": "bad\x07name.png"}, 422, "validation_failed"),
    ],
)
async def test_bad_uploads_leave_nothing_behind(
    client: AsyncClient,
    world: World,
    project: int,
    settings: Settings,
    data: bytes,
    filename: str,
    form: dict[str, str],
    status: int,
    code: str,
) -> None:
    refused = await _upload(client, world, project, data, filename, **form)
    assert refused.status_code == status, refused.text
    assert refused.json()["code"] == code
    listed = await client.get(f"/v1/labeling/projects/{project}/files", headers=world.guest.headers)
    assert listed.json()["items"] == []
    assert _stored(settings) == []


async def test_deleting_files_and_projects_removes_their_images(
    client: AsyncClient, world: World, project: int, settings: Settings
) -> None:
    one = (await _upload(client, world, project, PNG, "one.png")).json()
    await _upload(client, world, project, JPEG, "two.jpg")
    assert len(_stored(settings)) == 2
    gone = await client.delete(
        f"/v1/labeling/projects/{project}/files/{one['id']}", headers=world.admin.headers
    )
    assert gone.status_code == 204
    assert len(_stored(settings)) == 1
    dropped = await client.delete(f"/v1/labeling/projects/{project}", headers=world.admin.headers)
    assert dropped.status_code == 204
    assert _stored(settings) == []

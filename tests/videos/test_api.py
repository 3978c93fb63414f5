"""The video library over REST: upload or register, tenancy, soft delete, paid restore,
streaming with ranges and stream tokens, view rewards."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response

from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.helpers import World, build_world
from tests.videos.media import encoded

# Real media, small enough for the 100 kB limit below and past 30 kB for the range tests.
MP4 = encoded("mp4", seconds=0.6)
WEBM = encoded("webm", seconds=0.3)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        video_max_upload_bytes=100_000,
    )


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


def _objects(settings: Settings) -> list[Path]:
    return [p for p in (settings.var_dir / "objects" / "data").rglob("*") if p.is_file()]


def _stored(settings: Settings) -> list[Path]:
    """The videos' bytes (their posters apart)."""
    return [p for p in _objects(settings) if not p.name.endswith(".poster.jpg")]


def _posters(settings: Settings) -> list[Path]:
    return [p for p in _objects(settings) if p.name.endswith(".poster.jpg")]


async def upload(
    client: AsyncClient, headers: dict[str, str], data: bytes, name: str = "Intro"
) -> Response:
    return await client.post(
        "/v1/videos",
        files={"file": ("clip.bin", data, "application/octet-stream")},
        data={"name": name},
        headers=headers,
    )


async def _me(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    me: dict[str, Any] = (await client.get("/v1/users/me", headers=headers)).json()
    return me


async def test_upload_list_stream_and_reward_once(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    made = await upload(client, world.admin.headers, MP4)
    assert made.status_code == 201, made.text
    video = made.json()
    assert (video["source"], video["content_type"], video["size"]) == (
        "upload",
        "video/mp4",
        len(MP4),
    )
    listed = await client.get("/v1/videos", headers=world.guest.headers)
    assert [v["id"] for v in listed.json()["items"]] == [video["id"]]

    before = (await _me(client, world.guest.headers))["point"]
    url = video["stream_path"]
    head = await client.head(url, headers=world.guest.headers)
    assert head.status_code == 200
    assert head.headers["accept-ranges"] == "bytes"
    assert (await _me(client, world.guest.headers))["point"] == before  # HEAD is no view
    first = await client.get(url, headers={**world.guest.headers, "Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == MP4[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(MP4)}"
    assert first.headers["content-disposition"].startswith("inline")
    middle = await client.get(url, headers={**world.guest.headers, "Range": "bytes=20000-20499"})
    assert middle.content == MP4[20000:20500]
    whole = await client.get(url, headers=world.guest.headers)
    assert whole.content == MP4
    assert (await _me(client, world.guest.headers))["point"] == before + 10
    logs = await client.get("/v1/view-logs", headers=world.guest.headers)
    assert [(r["video_id"], r["points"]) for r in logs.json()["items"]] == [(video["id"], 10)]
    admin_logs = await client.get("/v1/view-logs", headers=world.admin.headers)
    assert admin_logs.json()["total"] == 1
    assert len(_stored(settings)) == 1


async def test_stream_tokens_are_for_one_video_and_one_user(
    client: AsyncClient, world: World
) -> None:
    one = (await upload(client, world.admin.headers, MP4, "One")).json()
    two = (await upload(client, world.admin.headers, WEBM, "Two")).json()
    assert two["content_type"] == "video/webm"
    issued = await client.post(f"/v1/videos/{one['id']}/stream-url", headers=world.guest.headers)
    assert issued.status_code == 200
    url = issued.json()["url"]
    assert "token=" in url and world.guest.headers["Authorization"].split()[1] not in url
    played = await client.get(url, headers={"Range": "bytes=0-9"})
    assert (played.status_code, played.content) == (206, MP4[:10])
    token = url.split("token=", 1)[1]
    other = await client.get(f"/v1/videos/stream/{two['id']}?token={token}")
    assert other.status_code == 401
    access = world.guest.headers["Authorization"].split()[1]
    as_access = await client.get(f"/v1/videos/stream/{one['id']}?token={access}")
    assert as_access.status_code == 401  # an access token is not a stream token
    anonymous = await client.get(f"/v1/videos/stream/{one['id']}")
    assert anonymous.status_code == 401


async def test_soft_delete_and_paid_restore(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    video = (await upload(client, world.admin.headers, MP4)).json()
    vid = video["id"]
    assert (
        await client.delete(f"/v1/videos/{vid}", headers=world.guest.headers)
    ).status_code == 403
    assert (
        await client.delete(f"/v1/videos/{vid}", headers=world.admin.headers)
    ).status_code == 204
    assert (await client.get("/v1/videos", headers=world.guest.headers)).json()["items"] == []
    gone = await client.get(video["stream_path"], headers=world.guest.headers)
    assert gone.status_code == 404
    bin_ = await client.get("/v1/videos?deleted=true", headers=world.admin.headers)
    assert [v["id"] for v in bin_.json()["items"]] == [vid]
    assert (
        await client.get("/v1/videos?deleted=true", headers=world.guest.headers)
    ).status_code == 403

    refused = await client.post(f"/v1/videos/{vid}/restore", headers=world.admin.headers)
    assert refused.status_code == 402
    assert refused.json()["code"] == "plan_required"
    until = (clock.now() + timedelta(minutes=10)).isoformat()
    paid = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"plan_type": "paid", "plan_expired_at": until},
        headers=world.superuser.headers,
    )
    assert paid.status_code == 200, paid.text
    restored = await client.post(f"/v1/videos/{vid}/restore", headers=world.admin.headers)
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert (
        await client.delete(f"/v1/videos/{vid}", headers=world.admin.headers)
    ).status_code == 204
    clock.advance(timedelta(minutes=10))  # the very moment the paid period ends
    lapsed = await client.post(f"/v1/videos/{vid}/restore", headers=world.admin.headers)
    assert lapsed.status_code == 402


async def test_other_corporations_get_404_everywhere(client: AsyncClient, world: World) -> None:
    vid = (await upload(client, world.admin.headers, MP4)).json()["id"]
    other = world.other_admin.headers
    for method, path in [
        ("GET", f"/v1/videos/{vid}"),
        ("PATCH", f"/v1/videos/{vid}"),
        ("DELETE", f"/v1/videos/{vid}"),
        ("POST", f"/v1/videos/{vid}/restore"),
        ("POST", f"/v1/videos/{vid}/stream-url"),
        ("GET", f"/v1/videos/stream/{vid}"),
        ("HEAD", f"/v1/videos/stream/{vid}"),
    ]:
        body = {"name": "Mine now"} if method == "PATCH" else None
        answer = await client.request(method, path, json=body, headers=other)
        assert answer.status_code == 404, f"{method} {path}: {answer.status_code}"
    assert (await client.get("/v1/videos", headers=other)).json()["items"] == []


@pytest.mark.parametrize(
    ("data", "form", "status", "code"),
    [
        (b"definitely not a video", {"name": "x"}, 415, "unsupported_media_type"),
        (b"", {"name": "x"}, 422, "empty_file"),
        (MP4 + os.urandom(100_000), {"name": "x"}, 413, "payload_too_large"),
        (MP4, {"name": ""}, 422, "validation_failed"),
        (MP4, {"name": "x", "file_path": "https://example.com/a.mp4"}, 422, "validation_failed"),
    ],
)
async def test_bad_uploads_leave_nothing_behind(
    client: AsyncClient,
    world: World,
    settings: Settings,
    data: bytes,
    form: dict[str, str],
    status: int,
    code: str,
) -> None:
    answer = await client.post(
        "/v1/videos",
        files={"file": ("clip.mp4", data, "video/mp4")},
        data=form,
        headers=world.admin.headers,
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert (await client.get("/v1/videos", headers=world.admin.headers)).json()["total"] == 0
    assert _stored(settings) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.mp4",
        "http://localhost:8000/a.mp4",
        "http://10.0.0.8/a.mp4",
        "http://192.168.1.2/a.mp4",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/a.mp4",
        "http://[::ffff:127.0.0.1]/a.mp4",
        "ftp://example.com/a.mp4",
        "file:///etc/passwd",
        "https://user:pw@example.com/a.mp4",
        "not a url",
    ],
)
async def test_external_urls_must_be_public(client: AsyncClient, world: World, url: str) -> None:
    answer = await client.post(
        "/v1/videos", json={"name": "Remote", "file_path": url}, headers=world.admin.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] in {"url_not_allowed", "invalid_url", "unresolvable_host"}

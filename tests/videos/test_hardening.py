"""The security review's attacks on the videos app (issue #11, items 8, 9, 12, 27), each
performed through the API: SSRF through IPv6 forms, minted view points, HTML served
inline from an upload or a proxy, fake media, deleted objects kept forever, and an
allow-list that let a trusted host's every port through."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from backlot.core.clock import FrozenClock
from backlot.core.db import unit_of_work
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.videos import service
from tests.conftest import TEST_SECRET
from tests.helpers import World, build_world, free_port
from tests.videos.media import encoded
from tests.videos.test_api import MP4, _me, _posters, _stored, upload

CLOSED_PORT = free_port()  # nothing listens there: the "upstream" of a failing stream


@pytest.fixture
def accel() -> str | None:
    return None


@pytest.fixture
def settings(database_url: str, tmp_path: Path, accel: str | None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        video_max_upload_bytes=1_000_000,
        video_url_allowed_hosts=["127.0.0.1", f"127.0.0.1:{CLOSED_PORT}"],
        video_accel_redirect_prefix=accel,
        video_deleted_retention_days=30,
    )


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


def _state(app: FastAPI) -> AppState:
    state: AppState = app.state.backlot
    return state


async def _register(client: AsyncClient, world: World, url: str) -> int:
    made = await client.post(
        "/v1/videos", json={"name": "Remote", "file_path": url}, headers=world.admin.headers
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


# Item 8: IPv6 forms that wrap a private IPv4 address or are not global.
@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254 (cloud metadata)
        "[64:ff9b:1::a00:1]",  # local-use NAT64
        "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
        "[2002:a00:1::1]",  # 6to4 of 10.0.0.1
        "[::127.0.0.1]",  # IPv4-compatible
        "[::a9fe:a9fe]",  # IPv4-compatible 169.254.169.254
        "[::ffff:10.0.0.1]",  # IPv4-mapped
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
        "[fec0::1]",  # site-local
        "[fc00::1]",  # unique local
        "[ff0e::1]",  # multicast
    ],
)
async def test_ipv6_forms_of_private_addresses_are_refused(
    client: AsyncClient, world: World, host: str
) -> None:
    answer = await client.post(
        "/v1/videos",
        json={"name": "Sneaky", "file_path": f"http://{host}/a.mp4"},
        headers=world.admin.headers,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "url_not_allowed"


# Item 27: the allow-list names host and port.
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://127.0.0.1/a.mp4", 201),  # `127.0.0.1`: port 80 of http
        ("http://127.0.0.1:80/a.mp4", 201),
        ("http://127.0.0.1:6379/", 422),  # not the local Redis
        ("https://127.0.0.1:80/a.mp4", 422),  # https's default port is 443
        ("https://127.0.0.1/a.mp4", 201),
        (f"http://127.0.0.1:{CLOSED_PORT}/a.mp4", 201),  # `127.0.0.1:port`
        (f"http://127.0.0.1:{CLOSED_PORT + 1}/a.mp4", 422),
    ],
    # Named, not numbered by the port: every pytest-xdist worker must collect the same ids.
    ids=["http", "http-80", "redis-port", "https-80", "https", "listed-port", "other-port"],
)
async def test_allowed_hosts_name_a_port(
    client: AsyncClient, world: World, url: str, status: int
) -> None:
    answer = await client.post(
        "/v1/videos", json={"name": "Local", "file_path": url}, headers=world.admin.headers
    )
    assert answer.status_code == status, answer.text


# Item 9: points are paid for a stream that starts, never for one's own video.
async def test_uploader_earns_nothing_on_their_own_video(client: AsyncClient, world: World) -> None:
    video = (await upload(client, world.admin.headers, MP4)).json()
    played = await client.get(video["stream_path"], headers=world.admin.headers)
    assert played.status_code == 200
    assert (await _me(client, world.admin.headers))["point"] == 0
    logs = await client.get("/v1/view-logs", headers=world.admin.headers)
    assert logs.json()["total"] == 0
    played = await client.get(video["stream_path"], headers=world.guest.headers)
    assert (await _me(client, world.guest.headers))["point"] == 10


async def test_a_failed_upstream_pays_nothing(client: AsyncClient, world: World) -> None:
    vid = await _register(client, world, f"http://127.0.0.1:{CLOSED_PORT}/a.mp4")
    failed = await client.get(f"/v1/videos/stream/{vid}", headers=world.guest.headers)
    assert failed.status_code == 502
    assert (await _me(client, world.guest.headers))["point"] == 0
    assert (await client.get("/v1/view-logs", headers=world.guest.headers)).json()["total"] == 0


async def test_a_missing_object_pays_nothing(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    video = (await upload(client, world.admin.headers, MP4)).json()
    for path in _stored(settings):
        path.unlink()
    gone = await client.get(video["stream_path"], headers=world.guest.headers)
    assert gone.status_code == 404
    assert (await _me(client, world.guest.headers))["point"] == 0
    # 304s and HEADs are no views either.
    again = (await upload(client, world.admin.headers, MP4)).json()
    head = await client.head(again["stream_path"], headers=world.guest.headers)
    etag = head.headers["etag"]
    cached = await client.get(
        again["stream_path"], headers={**world.guest.headers, "If-None-Match": etag}
    )
    assert cached.status_code == 304
    assert (await _me(client, world.guest.headers))["point"] == 0


# Item 12: every streamed answer is sandboxed and never sniffed.
@pytest.mark.parametrize("accel", [None, "/_protected/objects/"])
async def test_streams_are_sandboxed_and_never_sniffed(
    client: AsyncClient, world: World, accel: str | None
) -> None:
    video = (await upload(client, world.admin.headers, MP4)).json()
    url, headers = video["stream_path"], world.guest.headers
    answers = [
        await client.get(url, headers=headers),
        await client.get(url, headers={**headers, "Range": "bytes=0-99"}),
        await client.head(url, headers=headers),
    ]
    for answer in answers:
        assert answer.status_code in (200, 206), answer.text
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"
        assert answer.headers["content-type"] == "video/mp4"
    if accel:
        assert answers[0].headers["x-accel-redirect"].startswith(accel)


# Item 27: the container is probed; fakes leave nothing behind.
@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(300_000),  # zeros
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 1000,
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(5000),
        MP4[: len(MP4) // 20],  # the header of a real video, cut before its frames
    ],
    ids=["mp4-zeros", "mp4-garbage", "webm-zeros", "mp4-truncated"],
)
async def test_fake_media_is_refused_and_leaves_nothing(
    client: AsyncClient, world: World, settings: Settings, data: bytes
) -> None:
    answer = await upload(client, world.admin.headers, data)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "no_playable_stream"
    assert (await client.get("/v1/videos", headers=world.admin.headers)).json()["total"] == 0
    assert _stored(settings) == []


async def test_audio_only_media_is_playable(client: AsyncClient, world: World) -> None:
    answer = await upload(client, world.admin.headers, encoded("m4a", seconds=0.5))
    assert answer.status_code == 201, answer.text


async def _purge(app: FastAPI, later: timedelta) -> object:
    """The scheduled job's run `later` from now (the clock stays, so tokens stay valid)."""
    state = _state(app)
    async with unit_of_work(state.sessionmaker) as session:
        return await service.purge_deleted_videos(
            session,
            state.clock.now() + later,
            store=state.storage,
            retention_days=state.settings.video_deleted_retention_days,
        )


async def test_deleted_objects_are_purged_after_retention(
    app: FastAPI, client: AsyncClient, world: World, settings: Settings, clock: FrozenClock
) -> None:
    kept = (await upload(client, world.admin.headers, MP4, "Kept")).json()
    doomed = (await upload(client, world.admin.headers, MP4, "Doomed")).json()
    await client.delete(f"/v1/videos/{doomed['id']}", headers=world.admin.headers)
    until = (clock.now() + timedelta(days=400)).isoformat()
    paid = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"plan_type": "paid", "plan_expired_at": until},
        headers=world.superuser.headers,
    )
    assert paid.status_code == 200, paid.text

    assert await _purge(app, timedelta(days=29)) == 0
    assert len(_stored(settings)) == 2  # within the retention period: restorable
    restored = await client.post(f"/v1/videos/{doomed['id']}/restore", headers=world.admin.headers)
    assert restored.status_code == 200
    await client.delete(f"/v1/videos/{doomed['id']}", headers=world.admin.headers)

    assert await _purge(app, timedelta(days=30)) == 1
    assert len(_stored(settings)) == 1
    assert len(_posters(settings)) == 1  # the purged video's poster went with its bytes
    late = await client.post(f"/v1/videos/{doomed['id']}/restore", headers=world.admin.headers)
    assert late.status_code == 410, late.text
    assert late.json()["code"] == "video_purged"
    bin_ = await client.get("/v1/videos?deleted=true", headers=world.admin.headers)
    assert bin_.json()["items"] == []
    alive = await client.get(kept["stream_path"], headers=world.guest.headers)
    assert alive.status_code == 200
    assert alive.content == MP4

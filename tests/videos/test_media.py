"""Uploads read with PyAV (duration, poster frame) and the Idempotency-Key of uploads:
a retry answers the same video, a concurrent retry too, a key is per user, and a key
reused for another file is refused."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path

import av
import pytest
from httpx import AsyncClient, Response

from backlot.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.helpers import World, build_world
from tests.videos.media import encoded
from tests.videos.test_api import MP4, WEBM, _posters, _stored


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        video_max_upload_bytes=1_000_000,
    )


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def _upload(
    client: AsyncClient,
    headers: dict[str, str],
    data: bytes,
    key: str | None,
    name: str = "Intro",
) -> Response:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return await client.post(
        "/v1/videos",
        files={"file": ("clip.bin", data, "application/octet-stream")},
        data={"name": name},
        headers={**headers, **extra},
    )


async def _count(client: AsyncClient, headers: dict[str, str]) -> int:
    total: int = (await client.get("/v1/videos", headers=headers)).json()["total"]
    return total


async def test_a_retry_with_the_same_key_answers_the_same_video(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    key = str(uuid.uuid4())
    first = await _upload(client, world.admin.headers, MP4, key)
    assert first.status_code == 201, first.text
    again = await _upload(client, world.admin.headers, MP4, key)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert await _count(client, world.admin.headers) == 1
    assert len(_stored(settings)) == 1  # the retry's bytes were not kept
    # Without a key, or with another, it is another upload.
    assert (await _upload(client, world.admin.headers, MP4, None)).status_code == 201
    assert (await _upload(client, world.admin.headers, MP4, str(uuid.uuid4()))).status_code == 201
    assert await _count(client, world.admin.headers) == 3


async def test_concurrent_retries_make_one_video(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(_upload(client, world.admin.headers, MP4, key) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await _count(client, world.admin.headers) == 1
    assert len(_stored(settings)) == 1
    assert len(_posters(settings)) == 1


async def test_keys_are_per_user(client: AsyncClient, world: World) -> None:
    key = str(uuid.uuid4())
    mine = await _upload(client, world.admin.headers, MP4, key)
    theirs = await _upload(client, world.other_admin.headers, MP4, key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["corporation_id"] == world.corp_b


async def test_a_key_reused_for_another_upload_is_refused(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    key = str(uuid.uuid4())
    assert (await _upload(client, world.admin.headers, MP4, key)).status_code == 201
    for data, name in ((WEBM, "Intro"), (MP4, "Another name")):
        refused = await _upload(client, world.admin.headers, data, key, name)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "idempotency_key_reused"
    assert await _count(client, world.admin.headers) == 1
    assert len(_stored(settings)) == 1
    bad = await _upload(client, world.admin.headers, MP4, "no spaces please")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_idempotency_key"


async def test_duration_and_poster_of_an_upload(client: AsyncClient, world: World) -> None:
    clip = encoded("mp4", seconds=1.2, size=(128, 96))  # noise: large
    made = await _upload(client, world.admin.headers, clip, None)
    assert made.status_code == 201, made.text
    video = made.json()
    assert abs(video["duration_seconds"] - 1.2) < 0.1
    poster = await client.get(video["poster_url"])  # its token is the only credential
    assert poster.status_code == 200, poster.text
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.content[:2] == b"\xff\xd8"
    # A real JPEG of the frame's shape, as FFmpeg reads it back.
    decoded = next(av.open(io.BytesIO(poster.content), format="mjpeg").decode(video=0))
    assert (decoded.width, decoded.height) == (128, 96)
    # Members see it too (with their own token), in the list.
    listed = (await client.get("/v1/videos", headers=world.guest.headers)).json()["items"]
    assert (await client.get(listed[0]["poster_url"])).status_code == 200
    assert (await client.get(f"/v1/videos/{video['id']}/poster")).status_code == 401


async def test_audio_has_a_duration_and_no_poster(client: AsyncClient, world: World) -> None:
    video = (await _upload(client, world.admin.headers, encoded("m4a", seconds=1), None)).json()
    assert video["poster_url"] is None
    assert abs(video["duration_seconds"] - 1.0) < 0.1
    answer = await client.get(f"/v1/videos/{video['id']}/poster", headers=world.admin.headers)
    assert answer.status_code == 404


async def test_another_company_cannot_see_the_poster(client: AsyncClient, world: World) -> None:
    video = (await _upload(client, world.admin.headers, MP4, None)).json()
    path = f"/v1/videos/{video['id']}/poster"
    assert (await client.get(path, headers=world.admin.headers)).status_code == 200
    assert (await client.get(path, headers=world.other_admin.headers)).status_code == 404
    # A token of one video does not open another's poster.
    other = (await _upload(client, world.admin.headers, WEBM, None)).json()
    token = video["poster_url"].split("token=")[1]
    moved = await client.get(f"/v1/videos/{other['id']}/poster?token={token}")
    assert moved.status_code == 401

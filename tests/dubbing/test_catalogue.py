"""The catalogue on both databases: who edits what, search and sorting, the popular
cache, lines and their reference audio (upload checks, Range-capable URL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from httpx import AsyncClient

from backlot.core.settings import Settings
from tests.analysis.voices import FIXTURES
from tests.helpers import World, build_world

LINE = (FIXTURES / "line_low.ogg").read_bytes()


def stored_objects(settings: Settings) -> list[Path]:
    root = settings.var_dir / "objects" / "data"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def script(client: AsyncClient, headers: dict[str, str], **body: object) -> dict:
    created = await client.post(
        "/v1/scripts", json={"title": "Casablanca", "kind": "movie", **body}, headers=headers
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def line(
    client: AsyncClient, headers: dict[str, str], script_id: int, **body: object
) -> dict:
    created = await client.post(
        f"/v1/scripts/{script_id}/tokens",
        json={"text": "Here's looking at you, kid.", **body},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def test_who_may_edit_the_catalogue(client: AsyncClient, world: World) -> None:
    platform = await script(client, world.superuser.headers, title="Global")
    assert platform["corporation_id"] is None
    ours = await script(client, world.admin.headers, title="Ours", kind="drama")
    assert ours["corporation_id"] == world.corp_a
    refused = await client.post(
        "/v1/scripts", json={"title": "x", "kind": "movie"}, headers=world.guest.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    for headers, script_id, status in [
        (world.other_admin.headers, ours["id"], 404),  # another corporation's: unseen
        (world.admin.headers, platform["id"], 403),  # the platform's
        (world.superuser.headers, ours["id"], 200),
        (world.admin.headers, ours["id"], 200),
    ]:
        patched = await client.patch(
            f"/v1/scripts/{script_id}", json={"description": "edited"}, headers=headers
        )
        assert patched.status_code == status, patched.text
    # Everyone signed in browses the shared catalogue and their corporation's scripts.
    listed = await client.get("/v1/scripts", headers=world.other_admin.headers)
    assert {s["title"] for s in listed.json()["items"]} == {"Global"}
    listed = await client.get("/v1/scripts", headers=world.guest.headers)
    assert {s["title"] for s in listed.json()["items"]} == {"Global", "Ours"}
    assert (await client.get("/v1/scripts")).status_code == 401


async def test_search_filter_sort_and_the_popular_cache(client: AsyncClient, world: World) -> None:
    headers = world.superuser.headers
    for title, kind in [("Alpha", "movie"), ("Beta", "drama"), ("Gamma", "movie")]:
        await script(client, headers, title=title, kind=kind, description=f"about {title}")

    async def titles(query: str) -> list[str]:
        page = await client.get(f"/v1/scripts?{query}", headers=headers)
        assert page.status_code == 200, page.text
        return [s["title"] for s in page.json()["items"]]

    assert await titles("sort=title") == ["Alpha", "Beta", "Gamma"]
    assert await titles("sort=title&kind=movie") == ["Alpha", "Gamma"]
    assert await titles("q=BET") == ["Beta"]
    assert await titles("q=about&sort=title&limit=1&offset=1") == ["Beta"]
    assert await titles("sort=popular") == ["Gamma", "Beta", "Alpha"]  # ties: newest first
    await script(client, headers, title="Delta")
    # A new script drops the cached list: it shows at once.
    assert await titles("sort=popular&limit=2") == ["Delta", "Gamma"]
    bad = await client.get("/v1/scripts?sort=loudest", headers=headers)
    assert bad.status_code == 422


async def test_actors_and_lines(client: AsyncClient, world: World) -> None:
    headers = world.admin.headers
    film = await script(client, headers)
    other = await script(client, headers, title="Other")
    actor = await client.post(
        f"/v1/scripts/{film['id']}/actors", json={"name": "Humphrey Bogart"}, headers=headers
    )
    assert actor.status_code == 201
    stranger = await client.post(
        f"/v1/scripts/{other['id']}/actors", json={"name": "Someone"}, headers=headers
    )
    first = await line(
        client,
        headers,
        film["id"],
        actor_id=actor.json()["id"],
        order=2,
        start_time=1.5,
        end_time=3.0,
    )
    assert first["actor"] == "Humphrey Bogart" and first["audio_url"] is None
    await line(client, headers, film["id"], text="Round up the usual suspects.", order=1)
    for body, code in [
        ({"text": "x", "actor_id": stranger.json()["id"]}, "actor_not_in_script"),
        ({"text": "x", "start_time": 3, "end_time": 2}, "invalid_times"),
        ({"text": ""}, "validation_failed"),
        ({"text": "lone \ud800 surrogate"}, "validation_failed"),
        ({"text": "x", "actor_id": 469826135532}, "validation_failed"),
    ]:
        refused = await client.post(  # ASCII JSON: escapes carry the lone surrogate
            f"/v1/scripts/{film['id']}/tokens",
            content=json.dumps(body),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
    lines = await client.get(f"/v1/scripts/{film['id']}/tokens", headers=world.guest.headers)
    assert [t["order"] for t in lines.json()["items"]] == [1, 2]
    detail = await client.get(f"/v1/scripts/{film['id']}", headers=world.guest.headers)
    assert [a["name"] for a in detail.json()["actors"]] == ["Humphrey Bogart"]
    missing = await client.get("/v1/tokens/999999", headers=world.guest.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "token_not_found")


async def test_reference_audio_upload_and_streaming(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    headers = world.admin.headers
    film = await script(client, headers)
    one = await line(client, headers, film["id"])
    upload = await client.put(
        f"/v1/tokens/{one['id']}/audio",
        files={"file": ("whatever.bin", LINE, "application/octet-stream")},
        headers=headers,
    )
    assert upload.status_code == 200, upload.text
    read = await client.get(f"/v1/tokens/{one['id']}", headers=world.guest.headers)
    url = read.json()["audio_url"]
    assert url.startswith(f"/v1/tokens/{one['id']}/audio?token=")
    assert 3 < read.json()["audio_seconds"] < 6
    whole = await client.get(url)  # the URL's token is enough: <audio src> sends no header
    assert whole.status_code == 200 and whole.content == LINE
    assert whole.headers["content-type"] == "audio/ogg"
    part = await client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == LINE[:100]
    two = await line(client, headers, film["id"], text="Another")
    wrong = await client.get(url.replace(f"/{one['id']}/", f"/{two['id']}/"))
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_token")
    assert (await client.get(f"/v1/tokens/{one['id']}/audio")).status_code == 401
    assert (await client.get(f"/v1/tokens/{two['id']}/audio", headers=headers)).status_code == 404
    assert len(stored_objects(settings)) == 1
    foreign = await client.put(  # another corporation's admin edits nothing of ours
        f"/v1/tokens/{two['id']}/audio",
        files={"file": ("a.ogg", LINE)},
        headers=world.other_admin.headers,
    )
    assert foreign.status_code == 404  # another corporation's line is no one's
    assert len(stored_objects(settings)) == 1

    # Replacing the audio removes the old object; deleting the line removes the new.
    again = await client.put(
        f"/v1/tokens/{one['id']}/audio", files={"file": ("a.ogg", LINE)}, headers=headers
    )
    assert again.status_code == 200
    assert len(stored_objects(settings)) == 1
    assert (await client.delete(f"/v1/tokens/{one['id']}", headers=headers)).status_code == 204
    assert stored_objects(settings) == []


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "empty_file"),
        (b"plain text renamed to .wav, not audio at all", 415, "unsupported_media_type"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 200, 422, "unreadable_audio"),
        (b"OggS" + bytes(range(256)) * 8, 422, "unreadable_audio"),
    ],
)
async def test_bad_reference_audio_leaves_nothing(
    client: AsyncClient, world: World, settings: Settings, data: bytes, status: int, code: str
) -> None:
    headers = world.admin.headers
    film = await script(client, headers)
    one = await line(client, headers, film["id"])
    refused = await client.put(
        f"/v1/tokens/{one['id']}/audio", files={"file": ("take.wav", data)}, headers=headers
    )
    assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    # The decoder's words may name the spooled file: no path reaches the client.
    assert "/" not in refused.json()["detail"], refused.text
    assert stored_objects(settings) == []
    assert (await client.get(f"/v1/tokens/{one['id']}", headers=headers)).json()[
        "audio_url"
    ] is None


async def test_too_long_or_too_big_reference_audio_is_refused(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    headers = world.admin.headers
    film = await script(client, headers)
    one = await line(client, headers, film["id"])
    settings.dubbing_max_audio_seconds = 2
    long = await client.put(
        f"/v1/tokens/{one['id']}/audio", files={"file": ("a.ogg", LINE)}, headers=headers
    )
    assert (long.status_code, long.json()["code"]) == (422, "audio_too_long")
    assert long.json()["max_seconds"] == 2
    settings.dubbing_max_audio_seconds = 60
    settings.dubbing_max_upload_bytes = 4096
    big = await client.put(
        f"/v1/tokens/{one['id']}/audio", files={"file": ("a.ogg", LINE)}, headers=headers
    )
    assert (big.status_code, big.json()["code"]) == (413, "payload_too_large")
    assert stored_objects(settings) == []


async def test_a_corporations_scripts_are_its_own(client: AsyncClient, world: World) -> None:
    """Corporation A's scripts, lines, actors, reference audio and attempt counts are
    A's: corporation B gets 404 everywhere, and B's popular list (cached per audience)
    never shows them. Only superusers' scripts are the catalogue everyone shares."""
    shared = await script(client, world.superuser.headers, title="Shared")
    ours = await script(client, world.admin.headers, title="Secret of A")
    actor = await client.post(
        f"/v1/scripts/{ours['id']}/actors", json={"name": "Rick"}, headers=world.admin.headers
    )
    one = await line(client, world.admin.headers, ours["id"], actor_id=actor.json()["id"])
    put = await client.put(
        f"/v1/tokens/{one['id']}/audio",
        files={"file": ("a.ogg", LINE)},
        headers=world.admin.headers,
    )
    assert put.status_code == 200
    audio_url = put.json()["audio_url"]
    b = world.other_admin.headers

    async def titles(headers: dict[str, str], query: str) -> list[str]:
        page = await client.get(f"/v1/scripts?{query}", headers=headers)
        assert page.status_code == 200, page.text
        return [s["title"] for s in page.json()["items"]]

    # B's popular list is cached first, then A's: neither may see the other's.
    for query in ("sort=popular", "sort=popular", "sort=recent", "sort=title", "q=shared"):
        assert await titles(b, query) == ["Shared"], query
    assert await titles(b, "q=secret") == []
    assert set(await titles(world.guest.headers, "sort=popular")) == {"Shared", "Secret of A"}
    assert await titles(b, "sort=popular") == ["Shared"]
    assert set(await titles(world.superuser.headers, "sort=popular")) >= {"Shared", "Secret of A"}
    assert (await client.get("/v1/scripts?sort=popular", headers=b)).json()["total"] == 1

    for method, url, body in [
        ("GET", f"/v1/scripts/{ours['id']}", None),
        ("GET", f"/v1/scripts/{ours['id']}/tokens", None),
        ("PATCH", f"/v1/scripts/{ours['id']}", {"description": "mine now"}),
        ("DELETE", f"/v1/scripts/{ours['id']}", None),
        ("POST", f"/v1/scripts/{ours['id']}/actors", {"name": "Ilsa"}),
        ("POST", f"/v1/scripts/{ours['id']}/tokens", {"text": "Play it"}),
        ("GET", f"/v1/tokens/{one['id']}", None),
        ("PATCH", f"/v1/tokens/{one['id']}", {"text": "changed"}),
        ("DELETE", f"/v1/tokens/{one['id']}", None),
        ("GET", f"/v1/tokens/{one['id']}/audio", None),
        ("POST", "/v1/mypage/bookmarks", {"token_id": one["id"]}),
    ]:
        answer = await client.request(method, url, json=body, headers=b)
        assert answer.status_code == 404, (method, url, answer.text)
    replaced = await client.put(
        f"/v1/tokens/{one['id']}/audio", files={"file": ("a.ogg", LINE)}, headers=b
    )
    assert replaced.status_code == 404
    attempt = await client.post(
        f"/v1/tokens/{one['id']}/upload-audio", files={"file": ("a.ogg", LINE)}, headers=b
    )
    assert attempt.status_code == 404
    # A's member still gets everything; the shared script stays read-only to admins.
    assert (await client.get(audio_url)).status_code == 200
    detail = await client.get(f"/v1/scripts/{ours['id']}", headers=world.guest.headers)
    assert detail.json()["actors"][0]["name"] == "Rick"
    assert (await client.get(f"/v1/scripts/{shared['id']}", headers=b)).status_code == 200
    patched = await client.patch(
        f"/v1/scripts/{shared['id']}", json={"description": "x"}, headers=b
    )
    assert patched.status_code == 403


async def test_editors_reorder_a_scripts_lines_in_one_step(
    client: AsyncClient, world: World
) -> None:
    ours = await script(client, world.admin.headers, title="Order")
    a, b, c = [await line(client, world.admin.headers, ours["id"], text=t) for t in "ABC"]
    url = f"/v1/scripts/{ours['id']}/tokens/order"
    moved = await client.put(url, json={"token_ids": [c["id"], a["id"], b["id"]]}, **_as(world))
    assert moved.status_code == 200, moved.text
    assert [t["text"] for t in moved.json()["items"]] == ["C", "A", "B"]
    listed = await client.get(f"/v1/scripts/{ours['id']}/tokens", headers=world.guest.headers)
    assert [(t["text"], t["order"]) for t in listed.json()["items"]] == [
        ("C", 0),
        ("A", 1),
        ("B", 2),
    ]
    # Every line once, no more, no fewer: else nothing moves.
    for ids in ([c["id"], a["id"]], [a["id"], a["id"], b["id"]], [a["id"], b["id"], 999999]):
        refused = await client.put(url, json={"token_ids": ids}, **_as(world))
        assert (refused.status_code, refused.json()["code"]) == (422, "order_mismatch")
    assert (await client.put(url, json={"token_ids": []}, **_as(world))).status_code == 422
    body = {"token_ids": [a["id"], b["id"], c["id"]]}
    member = await client.put(url, json=body, headers=world.guest.headers)
    assert member.status_code == 403
    other = await client.put(url, json=body, headers=world.other_admin.headers)
    assert (other.status_code, other.json()["code"]) == (404, "script_not_found")
    listed = await client.get(f"/v1/scripts/{ours['id']}/tokens", headers=world.guest.headers)
    assert [t["text"] for t in listed.json()["items"]] == ["C", "A", "B"]


def _as(world: World) -> dict[str, dict[str, str]]:
    return {"headers": world.admin.headers}

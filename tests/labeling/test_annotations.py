"""Annotations saved only under the file's lock (fencing), their history and restore, the
label set, file states, and the live event; in both lock stores and both databases."""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.labeling import annotation
from backlot.labeling.events import project_channel
from tests.helpers import PASSWORD, Actor, World, bearer, build_world, login, unique_email

LABELS = [{"name": "cat", "color": "#E4572E"}, {"name": "dog", "color": "#29335c"}]
RECT = {"type": "rect", "label": "cat", "x": 10, "y": 20, "w": 30, "h": 40}
POLYGON = {"type": "polygon", "label": "dog", "points": [[0, 0], [100, 0], [100, 50]]}


def png(width: int, height: int) -> bytes:
    """A PNG header of the given size (the sniffer and the size reader read only that)."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + struct.pack(">II", width, height) + bytes(64)


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def second_member(client: AsyncClient, world: World) -> Actor:
    email = unique_email("labeler")
    made = await client.post(
        "/v1/users", json={"email": email, "password": PASSWORD}, headers=world.admin.headers
    )
    assert made.status_code == 201, made.text
    tokens = await login(client, email)
    return Actor(made.json()["id"], email, bearer(tokens["access_token"]))


async def make_project(client: AsyncClient, world: World, files: tuple[str, ...] = ()) -> int:
    made = await client.post(
        "/v1/labeling/projects", json={"name": "Pets"}, headers=world.admin.headers
    )
    project = int(made.json()["id"])
    labels = await client.put(
        f"/v1/labeling/projects/{project}/labels",
        json={"labels": LABELS},
        headers=world.admin.headers,
    )
    assert labels.status_code == 200, labels.text
    for name in files:
        added = await client.post(
            f"/v1/labeling/projects/{project}/files",
            json={"name": name},
            headers=world.admin.headers,
        )
        assert added.status_code == 201, added.text
    return project


async def upload(client: AsyncClient, world: World, project: int, name: str, data: bytes) -> None:
    made = await client.post(
        f"/v1/labeling/projects/{project}/files/upload",
        files={"file": (name, data, "application/octet-stream")},
        headers=world.admin.headers,
    )
    assert made.status_code == 201, made.text


async def lock(client: AsyncClient, actor: Actor, project: int, file: str) -> int:
    locked = await client.post(
        "/v1/labeling/lock",
        json={"project_id": project, "file_name": file, "switch": True},
        headers=actor.headers,
    )
    assert locked.status_code == 200, locked.text
    return int(locked.json()["token"])


async def save(
    client: AsyncClient, actor: Actor, project: int, file: str, token: int, shapes: list[Any]
) -> Any:
    return await client.put(
        f"/v1/labeling/projects/{project}/annotations/{file}",
        json={"token": token, "shapes": shapes},
        headers=actor.headers,
    )


async def test_label_set_admins_edit_members_read(
    client: AsyncClient, world: World, settings: Settings
) -> None:
    project = await make_project(client, world)
    url = f"/v1/labeling/projects/{project}/labels"
    read = await client.get(url, headers=world.guest.headers)
    assert read.json() == {
        "project_id": project,
        "labels": [{"name": "cat", "color": "#e4572e"}, {"name": "dog", "color": "#29335c"}],
    }
    refused = await client.put(url, json={"labels": []}, headers=world.guest.headers)
    assert refused.status_code == 403
    twice = await client.put(url, json={"labels": LABELS + LABELS[:1]}, headers=world.admin.headers)
    assert (twice.status_code, twice.json()["code"]) == (422, "duplicate_label")
    bad_color = await client.put(
        url, json={"labels": [{"name": "x", "color": "red"}]}, headers=world.admin.headers
    )
    assert bad_color.status_code == 422
    settings.labeling_max_labels = 1
    many = await client.put(url, json={"labels": LABELS}, headers=world.admin.headers)
    assert (many.status_code, many.json()["code"]) == (422, "too_many_labels")
    assert (await client.get(url, headers=world.guest.headers)).json()["labels"][0]["name"] == "cat"


async def test_save_read_history_and_states(client: AsyncClient, world: World) -> None:
    project = await make_project(client, world, ("a.jpg", "b.jpg", "c.jpg"))
    url = f"/v1/labeling/projects/{project}/annotations/a.jpg"
    none = await client.get(url, headers=world.guest.headers)
    assert (none.status_code, none.json()["code"]) == (404, "no_annotation")
    token = await lock(client, world.guest, project, "a.jpg")
    first = await save(client, world.guest, project, "a.jpg", token, [RECT])
    assert first.status_code == 200, first.text
    second = await save(
        client, world.guest, project, "a.jpg", token, [RECT, {**POLYGON, "attributes": {"n": 1}}]
    )
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    latest = (await client.get(url, headers=world.admin.headers)).json()
    assert latest["version"] == 2
    assert latest["author"]["id"] == world.guest.id
    assert latest["shapes"][1] == {**POLYGON, "attributes": {"n": 1}}
    history = (await client.get(f"{url}/versions?limit=1", headers=world.guest.headers)).json()
    assert (history["total"], [v["version"] for v in history["items"]]) == (2, [2])
    older = (await client.get(f"{url}/versions?offset=1", headers=world.guest.headers)).json()
    assert older["items"][0]["shapes"] == [RECT]

    # a.jpg is locked (in progress) though labeled; release it and it shows as labeled
    files = f"/v1/labeling/projects/{project}/files"
    listed = (await client.get(files, headers=world.guest.headers)).json()
    assert {f["name"]: f["state"] for f in listed["items"]} == {
        "a.jpg": "in_progress",
        "b.jpg": "new",
        "c.jpg": "new",
    }
    assert listed["counts"] == {"new": 2, "in_progress": 1, "labeled": 0}
    await lock(client, world.guest, project, "b.jpg")  # switch: a.jpg is released
    listed = (await client.get(files, headers=world.guest.headers)).json()
    assert listed["counts"] == {"new": 1, "in_progress": 1, "labeled": 1}
    for state, names in {"new": ["c.jpg"], "in_progress": ["b.jpg"], "labeled": ["a.jpg"]}.items():
        only = (await client.get(f"{files}?state={state}", headers=world.guest.headers)).json()
        assert ([f["name"] for f in only["items"]], only["total"]) == (names, 1)
    bad = await client.get(f"{files}?state=done", headers=world.guest.headers)
    assert bad.status_code == 422


async def test_save_needs_the_lock_and_its_current_token(client: AsyncClient, world: World) -> None:
    project = await make_project(client, world, ("a.jpg",))
    other = await second_member(client, world)
    without = await save(client, world.guest, project, "a.jpg", 1, [RECT])
    assert (without.status_code, without.json()["code"]) == (409, "not_lock_owner")
    old = await lock(client, world.guest, project, "a.jpg")
    theirs = await save(client, other, project, "a.jpg", old, [RECT])
    assert (theirs.status_code, theirs.json()["code"]) == (409, "not_lock_owner")
    # forced unlock, then someone else's lock: the old token is stale
    forced = await client.post(
        "/v1/labeling/unlock",
        json={"project_id": project, "file_name": "a.jpg", "force": True},
        headers=world.admin.headers,
    )
    assert forced.status_code == 204
    new = await lock(client, other, project, "a.jpg")
    assert new > old
    stale = await save(client, world.guest, project, "a.jpg", old, [RECT])
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_lock")
    assert (await save(client, other, project, "a.jpg", new, [RECT])).status_code == 200
    # a token the lock never had is refused too
    made_up = await save(client, other, project, "a.jpg", new + 5, [RECT])
    assert (made_up.status_code, made_up.json()["code"]) == (409, "stale_lock")


async def test_stale_token_after_expiry_and_a_new_lock(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    project = await make_project(client, world, ("a.jpg",))
    other = await second_member(client, world)
    old = await lock(client, world.guest, project, "a.jpg")
    clock.advance(timedelta(seconds=61))
    new = await lock(client, other, project, "a.jpg")
    stale = await save(client, world.guest, project, "a.jpg", old, [RECT])
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_lock")
    assert (await save(client, other, project, "a.jpg", new, [RECT])).status_code == 200


async def test_fencing_refuses_a_writer_whose_lock_lapsed_mid_request(
    client: AsyncClient, world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passes the lock check; before A writes, its lock expires, B locks and saves.
    A's write must be refused by the database's fence, not overwrite B's."""
    project = await make_project(client, world, ("a.jpg",))
    other = await second_member(client, world)
    token_a = await lock(client, world.guest, project, "a.jpg")
    check = annotation.check_lock
    raced: list[int] = []

    async def check_then_lapse(*args: Any, **kwargs: Any) -> None:
        await check(*args, **kwargs)
        if kwargs["token"] != token_a or raced:
            return
        clock.advance(timedelta(seconds=61))  # A's lock lapses between check and write
        token_b = await lock(client, other, project, "a.jpg")
        saved = await save(client, other, project, "a.jpg", token_b, [POLYGON])
        assert saved.status_code == 200, saved.text
        raced.append(token_b)

    monkeypatch.setattr(annotation, "check_lock", check_then_lapse)
    late = await save(client, world.guest, project, "a.jpg", token_a, [RECT])
    assert raced, "the race did not run"
    assert (late.status_code, late.json()["code"]) == (409, "stale_lock")
    kept = await client.get(
        f"/v1/labeling/projects/{project}/annotations/a.jpg", headers=world.admin.headers
    )
    assert (kept.json()["version"], kept.json()["shapes"]) == (1, [POLYGON])
    assert kept.json()["author"]["id"] == other.id


@pytest.mark.parametrize(
    ("shapes", "code"),
    [
        ([{**RECT, "label": "horse"}], "unknown_label"),
        ([{**RECT, "x": 620}], "shape_outside_image"),
        ([{**RECT, "y": -1}], "shape_outside_image"),
        ([{**POLYGON, "points": [[0, 0], [641, 0], [5, 5]]}], "shape_outside_image"),
        ([RECT] * 4, "too_many_shapes"),
        ([{**POLYGON, "points": [[0, 0], [1, 0], [1, 1], [0, 1], [2, 2]]}], "too_many_points"),
        ([{**RECT, "attributes": {"note": "x" * 100}}], "attributes_too_large"),
        ([{**RECT, "w": 0}], "validation_failed"),
        ([{**RECT, "type": "circle"}], "validation_failed"),
        ([{**POLYGON, "points": [[0, 0], [1, 1]]}], "validation_failed"),
        ([{**RECT, "colour": "red"}], "validation_failed"),
    ],
)
async def test_bad_shapes_are_422(
    client: AsyncClient,
    world: World,
    settings: Settings,
    shapes: list[Any],
    code: str,
) -> None:
    settings.labeling_max_shapes = 3
    settings.labeling_max_polygon_points = 4
    settings.labeling_max_attribute_bytes = 50
    project = await make_project(client, world)
    await upload(client, world, project, "big.png", png(640, 480))
    listed = await client.get(f"/v1/labeling/projects/{project}/files", headers=world.guest.headers)
    assert (listed.json()["items"][0]["width"], listed.json()["items"][0]["height"]) == (640, 480)
    token = await lock(client, world.guest, project, "big.png")
    refused = await save(client, world.guest, project, "big.png", token, shapes)
    assert (refused.status_code, refused.json()["code"]) == (422, code)
    fine = await save(client, world.guest, project, "big.png", token, [{**RECT, "x": 610}])
    assert fine.status_code == 200, fine.text


async def test_admins_restore_a_version_under_the_lock(client: AsyncClient, world: World) -> None:
    project = await make_project(client, world, ("a.jpg",))
    token = await lock(client, world.guest, project, "a.jpg")
    await save(client, world.guest, project, "a.jpg", token, [RECT])
    await save(client, world.guest, project, "a.jpg", token, [POLYGON])
    url = f"/v1/labeling/projects/{project}/annotations/a.jpg/versions/1/restore"
    guest = await client.post(url, json={"token": token}, headers=world.guest.headers)
    assert guest.status_code == 403
    held = await client.post(url, json={"token": token}, headers=world.admin.headers)
    assert (held.status_code, held.json()["code"]) == (409, "not_lock_owner")
    await client.post(
        "/v1/labeling/unlock",
        json={"project_id": project, "file_name": "a.jpg"},
        headers=world.guest.headers,
    )
    admin_token = await lock(client, world.admin, project, "a.jpg")
    missing = await client.post(
        url.replace("/versions/1/", "/versions/9/"),
        json={"token": admin_token},
        headers=world.admin.headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "no_annotation")
    restored = await client.post(url, json={"token": admin_token}, headers=world.admin.headers)
    assert restored.status_code == 201, restored.text
    body = restored.json()
    assert (body["version"], body["restored_from"], body["shapes"]) == (3, 1, [RECT])
    assert body["author"]["id"] == world.admin.id


async def test_other_corporations_see_nothing(client: AsyncClient, world: World) -> None:
    project = await make_project(client, world, ("a.jpg",))
    token = await lock(client, world.guest, project, "a.jpg")
    await save(client, world.guest, project, "a.jpg", token, [RECT])
    base = f"/v1/labeling/projects/{project}"
    for method, path, body in [
        ("GET", "/labels", None),
        ("PUT", "/labels", {"labels": []}),
        ("GET", "/annotations/a.jpg", None),
        ("GET", "/annotations/a.jpg/versions", None),
        ("PUT", "/annotations/a.jpg", {"token": token, "shapes": []}),
        ("POST", "/annotations/a.jpg/versions/1/restore", {"token": token}),
        ("GET", "/export?format=coco", None),
        ("GET", "/export?format=yolo", None),
    ]:
        answer = await client.request(
            method, base + path, json=body, headers=world.other_admin.headers
        )
        assert answer.status_code == 404, (method, path, answer.text)
    unknown = await client.get(f"{base}/annotations/nope.jpg", headers=world.guest.headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


async def test_a_save_is_announced_to_the_project(
    client: AsyncClient, app: FastAPI, world: World
) -> None:
    project = await make_project(client, world, ("a.jpg",))
    token = await lock(client, world.guest, project, "a.jpg")
    state: AppState = app.state.backlot
    channel = project_channel(project)
    before = await state.bus.last_seq(channel)
    refused = await save(client, world.guest, project, "a.jpg", token, [{**RECT, "label": "x"}])
    assert refused.status_code == 422
    assert await state.bus.last_seq(channel) == before  # nothing saved, nothing said
    await save(client, world.guest, project, "a.jpg", token, [RECT])
    events = await state.bus.since(channel, before)
    assert events is not None
    assert [(e.type, e.data) for e in events] == [
        (
            "annotation_saved",
            {
                "file": "a.jpg",
                "version": 1,
                "author": events[0].data["author"],
                "author_id": world.guest.id,
                "state": "labeled",
            },
        )
    ]

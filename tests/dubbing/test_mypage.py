"""My page on both databases: bookmarks (idempotent), the lines I dubbed with best and
latest scores, the overview. Job rows are written directly with known scores, so the
sums can be checked exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient

from backlot.core.db import unit_of_work
from backlot.core.settings import Settings
from backlot.dubbing.models import Job
from tests.dubbing.test_catalogue import line, script
from tests.helpers import build_world


async def _job(
    app: FastAPI, user_id: int, line_id: int, overall: float | None, when: datetime
) -> str:
    state = "completed" if overall is not None else "failed"
    job_id = f"{line_id:04d}{int(when.timestamp()):012d}{user_id:04d}"[:32]
    async with unit_of_work(app.state.backlot.sessionmaker) as session:
        session.add(
            Job(
                id=job_id,
                user_id=user_id,
                token_id=line_id,
                state=state,
                stage=state,
                progress=100 if overall is not None else 0,
                tries=1,
                audio_key="dubbing/attempt/none",
                audio_type="audio/ogg",
                audio_size=1,
                audio_seconds=1.0,
                pronunciation_score=overall,
                intonation_score=overall,
                emotion_score=overall,
                timing_score=overall,
                overall_score=overall,
                created_at=when,
            )
        )
    return job_id


async def test_bookmarks_are_idempotent_and_private(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    film = await script(client, world.admin.headers)
    first = await line(client, world.admin.headers, film["id"])
    second = await line(client, world.admin.headers, film["id"], text="Second")
    me = world.guest.headers
    added = await client.post("/v1/mypage/bookmarks", json={"token_id": first["id"]}, headers=me)
    assert added.status_code == 201 and added.json()["token"]["id"] == first["id"]
    again = await client.post("/v1/mypage/bookmarks", json={"token_id": first["id"]}, headers=me)
    assert again.status_code == 200 and again.json()["created_at"] == added.json()["created_at"]
    await client.post("/v1/mypage/bookmarks", json={"token_id": second["id"]}, headers=me)
    mine = await client.get("/v1/mypage/bookmarks", headers=me)
    assert mine.json()["total"] == 2
    theirs = await client.get("/v1/mypage/bookmarks", headers=world.other_admin.headers)
    assert theirs.json()["total"] == 0
    missing = await client.post("/v1/mypage/bookmarks", json={"token_id": 999999}, headers=me)
    assert (missing.status_code, missing.json()["code"]) == (404, "token_not_found")
    for _ in range(2):  # removing is idempotent too
        gone = await client.delete(f"/v1/mypage/bookmarks/{first['id']}", headers=me)
        assert gone.status_code == 204
    left = await client.get("/v1/mypage/bookmarks", headers=me)
    assert [b["token"]["id"] for b in left.json()["items"]] == [second["id"]]


async def test_dubbed_lines_and_overview(
    client: AsyncClient, settings: Settings, app: FastAPI
) -> None:
    world = await build_world(client, settings)
    film = await script(client, world.admin.headers, title="Noir")
    one = await line(client, world.admin.headers, film["id"])
    two = await line(client, world.admin.headers, film["id"], text="Second")
    me = world.guest
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    await _job(app, me.id, one["id"], 60.0, day)
    await _job(app, me.id, one["id"], 80.0, day + timedelta(hours=1))
    latest = await _job(app, me.id, one["id"], None, day + timedelta(days=1))  # failed
    await _job(app, me.id, two["id"], 70.0, day + timedelta(days=1, hours=1))
    await _job(app, world.other_admin.id, two["id"], 99.0, day)  # someone else's

    dubbed = (await client.get("/v1/mypage/my-dubbed-tokens", headers=me.headers)).json()
    assert dubbed["total"] == 2
    assert [d["token_id"] for d in dubbed["items"]] == [two["id"], one["id"]]  # latest first
    first = dubbed["items"][1]
    assert (first["attempts"], first["best_overall"], first["script_title"]) == (3, 80.0, "Noir")
    assert first["latest"] == {
        "job_id": latest,
        "state": "failed",
        "overall": None,
        "created_at": first["latest"]["created_at"],
    }

    summary = (await client.get("/v1/mypage/overview", headers=me.headers)).json()
    assert (summary["attempts"], summary["completed"], summary["failed"]) == (4, 3, 1)
    assert summary["scores"]["overall"] == {"average": 70.0, "best": 80.0}
    assert summary["by_day"] == [
        {"date": "2026-11-20", "attempts": 2, "average_overall": 70.0},
        {"date": "2026-11-21", "attempts": 1, "average_overall": 70.0},
    ]
    nobody = (await client.get("/v1/mypage/overview", headers=world.admin.headers)).json()
    assert nobody["attempts"] == 0 and nobody["scores"]["overall"] == {
        "average": None,
        "best": None,
    }


async def test_a_lines_attempts_are_mine_newest_first_and_paged(
    client: AsyncClient, settings: Settings, app: FastAPI
) -> None:
    world = await build_world(client, settings)
    film = await script(client, world.admin.headers, title="History")
    one = await line(client, world.admin.headers, film["id"])
    two = await line(client, world.admin.headers, film["id"], text="Other")
    me = world.guest
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    first = await _job(app, me.id, one["id"], 55.0, day)
    failed = await _job(app, me.id, one["id"], None, day + timedelta(hours=1))
    await _job(app, me.id, two["id"], 90.0, day + timedelta(hours=2))  # another line
    await _job(app, world.admin.id, one["id"], 99.0, day + timedelta(hours=3))  # another user

    url = f"/v1/mypage/my-dubbed-tokens/{one['id']}/attempts"
    page = (await client.get(url, headers=me.headers)).json()
    assert page["total"] == 2
    assert [a["job_id"] for a in page["items"]] == [failed, first]
    assert page["items"][0]["state"] == "failed" and page["items"][0]["scores"] is None
    assert page["items"][1]["scores"]["overall"] == 55.0
    paged = (await client.get(f"{url}?limit=1&offset=1", headers=me.headers)).json()
    assert [a["job_id"] for a in paged["items"]] == [first] and paged["total"] == 2

    # Another corporation's line is no one's: 404, not an empty list.
    theirs = await client.get(url, headers=world.other_admin.headers)
    assert (theirs.status_code, theirs.json()["code"]) == (404, "token_not_found")
    missing = await client.get("/v1/mypage/my-dubbed-tokens/999999/attempts", headers=me.headers)
    assert missing.status_code == 404
    bad = await client.get(f"{url}?limit=0", headers=me.headers)
    assert bad.status_code == 422

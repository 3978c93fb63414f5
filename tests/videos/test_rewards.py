"""Exactly-once view rewards over real sockets: two `backlot serve` processes on the
test database (SQLite and PostgreSQL), many simultaneous range requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.videos.test_api import MP4


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {
        "BACKLOT_DATABASE_URL": database_url,
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_USER_ADMIN_RATE_LIMIT": "1000/hour",  # one admin adds fifty viewers
        "BACKLOT_STORAGE_URL": str(tmp_path / "objects"),  # shared by both processes
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with running_server(tmp_path / "a", env) as a, running_server(tmp_path / "b", env) as b:
        yield a, b


async def _login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    tokens = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def _library(base: str, users: int) -> tuple[int, dict[str, str], list[dict[str, str]]]:
    """A corporation with one video; its admin's headers and `users` guests' headers."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        email = unique_email("vadmin")
        await http.post(
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "corporation_name": email},
        )
        admin = await _login(http, email)
        made = await http.post(
            "/v1/videos",
            files={"file": ("v.mp4", MP4, "video/mp4")},
            data={"name": "Race"},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        guests = []
        for _ in range(users):
            guest = unique_email("viewer")
            await http.post("/v1/users", json={"email": guest, "password": PASSWORD}, headers=admin)
            guests.append(await _login(http, guest))
    return made.json()["id"], admin, guests


async def _view(base: str, video: int, headers: dict[str, str], start: int) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        answer = await http.get(
            f"/v1/videos/stream/{video}",
            headers={**headers, "Range": f"bytes={start}-{start + 999}"},
        )
        return answer.status_code


async def _points(base: str, headers: dict[str, str]) -> tuple[int, int, int]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        me = (await http.get("/v1/users/me", headers=headers)).json()
        logs = (await http.get("/v1/view-logs?limit=100", headers=headers)).json()
    return me["point"], logs["total"], sum(row["points"] for row in logs["items"])


async def test_two_hundred_simultaneous_first_views_pay_ten_once(
    servers: tuple[str, str],
) -> None:
    a, b = servers
    video, _admin, (viewer,) = await _library(a, 1)
    statuses = await asyncio.gather(
        *(_view((a, b)[i % 2], video, viewer, (i * 137) % 30_000) for i in range(200))
    )
    assert set(statuses) == {206}
    point, rows, ledger = await _points(b, viewer)
    assert (point, rows, ledger) == (10, 1, 10)  # the balance is the sum of its ledger


async def test_fifty_viewers_each_paid_once(servers: tuple[str, str]) -> None:
    a, b = servers
    video, admin, viewers = await _library(a, 50)
    statuses = await asyncio.gather(
        *(_view((a, b)[i % 2], video, viewers[i % 50], 0) for i in range(100))
    )
    assert set(statuses) == {206}
    for headers in viewers:
        assert await _points(a, headers) == (10, 1, 10)
    async with httpx.AsyncClient(base_url=b, timeout=60) as http:
        everyone = (await http.get("/v1/view-logs", headers=admin)).json()
    assert everyone["total"] == 50


async def test_one_viewer_watching_five_videos_at_once_is_paid_for_each(
    servers: tuple[str, str],
) -> None:
    """Concurrent first views of different videos by one person add up: no payment
    overwrites another's (the points are added in SQL, never read and written back)."""
    a, b = servers
    video, admin, (viewer,) = await _library(a, 1)
    async with httpx.AsyncClient(base_url=a, timeout=60) as http:
        others = []
        for n in range(4):
            made = await http.post(
                "/v1/videos",
                files={"file": ("v.mp4", MP4, "video/mp4")},
                data={"name": f"More {n}"},
                headers=admin,
            )
            assert made.status_code == 201, made.text
            others.append(made.json()["id"])
    videos = [video, *others]
    statuses = await asyncio.gather(
        *(_view((a, b)[i % 2], videos[i % 5], viewer, (i * 211) % 30_000) for i in range(40))
    )
    assert set(statuses) == {206}
    assert await _points(b, viewer) == (50, 5, 50)

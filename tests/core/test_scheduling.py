"""Periodic jobs: one run per tick however many processes try, on every database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import Corporation, PlanType
from backlot.accounts.service import downgrade_lapsed_plans
from backlot.core.clock import FrozenClock
from backlot.core.db import build_engine, build_sessionmaker, unit_of_work
from backlot.core.scheduling import ScheduledRun, run_tick
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email


async def test_each_tick_runs_once_among_racing_processes(database_url: str) -> None:
    # Four engines: four processes' worth of connections to one database.
    engines = [build_engine(database_url) for _ in range(4)]
    makers = [build_sessionmaker(engine) for engine in engines]
    clock = FrozenClock(datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC))
    ran: list[int] = []

    async def job(session: AsyncSession, now: datetime) -> str:
        ran.append(int(now.timestamp()))
        return "done"

    try:
        for _ in range(3):
            won = await asyncio.gather(
                *(run_tick(maker, clock, "demo", 60, job) for maker in makers for _ in range(3))
            )
            assert won.count(True) == 1
            clock.advance(timedelta(seconds=60))
        assert len(ran) == 3
        async with makers[0]() as session:
            runs = list(await session.scalars(select(ScheduledRun).order_by(ScheduledRun.tick)))
        assert [r.result for r in runs] == ["done"] * 3
        assert runs[1].tick == runs[0].tick + 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_lapsed_plans_turn_free_once(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    try:
        async with unit_of_work(sessionmaker) as session:
            session.add_all(
                [
                    Corporation(name="lapsed", plan_type="paid", plan_expired_at=now),
                    Corporation(
                        name="running",
                        plan_type="paid",
                        plan_expired_at=now + timedelta(seconds=1),
                    ),
                    Corporation(name="free"),
                ]
            )
        async with unit_of_work(sessionmaker) as session:
            assert await downgrade_lapsed_plans(session, now) == 1
        async with unit_of_work(sessionmaker) as session:
            assert await downgrade_lapsed_plans(session, now + timedelta(milliseconds=1)) == 0
        async with sessionmaker() as session:
            rows = {c.name: c for c in await session.scalars(select(Corporation))}
            paid = await session.scalar(
                select(func.count()).select_from(Corporation).where(Corporation.plan_type == "paid")
            )
        assert rows["lapsed"].plan_type == PlanType.free
        assert rows["lapsed"].plan_downgraded_at == now
        assert rows["running"].plan_downgraded_at is None
        assert paid == 1
    finally:
        await engine.dispose()


async def test_two_serving_processes_flip_a_lapsed_plan_once(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        "BACKLOT_DATABASE_URL": database_url,
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_PLAN_CHECK_INTERVAL_SECONDS": "0.5",
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with running_server(tmp_path / "a", env) as a, running_server(tmp_path / "b", env):
        async with httpx.AsyncClient(base_url=a, timeout=30) as http:
            email = unique_email("plan")
            await http.post(
                "/v1/auth/register",
                json={"email": email, "password": PASSWORD, "corporation_name": email},
            )
            login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            me = (await http.get("/v1/users/me", headers=headers)).json()
            corporation = me["corporation_id"]
            engine = build_engine(database_url)
            try:
                async with unit_of_work(build_sessionmaker(engine)) as session:
                    row = await session.get(Corporation, corporation)
                    assert row is not None
                    row.plan_type = "paid"
                    row.plan_expired_at = datetime.now(UTC) + timedelta(seconds=1)
                deadline = asyncio.get_running_loop().time() + 20
                while True:
                    read = await http.get(f"/v1/corporations/{corporation}", headers=headers)
                    if read.json()["plan_type"] == "free":
                        break
                    assert asyncio.get_running_loop().time() < deadline, read.text
                    await asyncio.sleep(0.2)
                assert read.json()["plan_downgraded_at"] is not None
                async with build_sessionmaker(engine)() as session:
                    ticks = list(
                        await session.scalars(
                            select(ScheduledRun.tick).where(
                                ScheduledRun.job == "plans.downgrade_lapsed"
                            )
                        )
                    )
                assert ticks  # the job ran; the table's key allows one run per tick
            finally:
                await engine.dispose()

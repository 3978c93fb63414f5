"""Small helpers the API tests share: sign-up, sign-in, a world of tenants."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from httpx import AsyncClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from backlot.accounts.superuser import create_superuser
from backlot.core import migrate
from backlot.core.settings import Settings

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_serial)}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def register(
    client: AsyncClient, email: str, corporation_name: str | None = None
) -> dict[str, object]:
    body: dict[str, object] = {"email": email, "password": PASSWORD}
    if corporation_name:
        body["corporation_name"] = corporation_name
    response = await client.post("/v1/auth/register", json=body)
    # 202 for new and taken addresses alike (no enumeration): the user is read back.
    assert response.status_code == 202, response.text
    tokens = await login(client, email)
    me = await client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200, me.text
    return dict(me.json())


@dataclass
class Actor:
    id: int
    email: str
    headers: dict[str, str]


@dataclass
class World:
    """Two corporations: A with an admin and a guest, B with an admin; and a superuser."""

    corp_a: int
    corp_b: int
    admin: Actor
    guest: Actor
    other_admin: Actor
    superuser: Actor


async def _actor(client: AsyncClient, user: dict[str, object]) -> Actor:
    email = str(user["email"])
    tokens = await login(client, email)
    return Actor(int(str(user["id"])), email, bearer(tokens["access_token"]))


async def build_world(client: AsyncClient, settings: Settings) -> World:
    admin_user = await register(client, unique_email("admin"), "Corp A")
    other_user = await register(client, unique_email("other"), "Corp B")
    admin = await _actor(client, admin_user)
    response = await client.post(
        "/v1/users",
        json={"email": unique_email("guest"), "password": PASSWORD, "role": "guest"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    guest = await _actor(client, response.json())
    su_email = unique_email("root")
    su_id = await create_superuser(settings, su_email, PASSWORD, "Root")
    superuser = await _actor(client, {"id": su_id, "email": su_email})
    return World(
        corp_a=int(str(admin_user["corporation_id"])),
        corp_b=int(str(other_user["corporation_id"])),
        admin=admin,
        guest=guest,
        other_admin=await _actor(client, other_user),
        superuser=superuser,
    )


async def _admin_execute(server_url: str, statement: str) -> None:
    admin = make_url(server_url).set(database="postgres")
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def create_pg_database(server_url: str, name: str) -> str:
    await _admin_execute(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(server_url: str, name: str) -> None:
    await _admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_pg_database(server_url: str, label: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `server_url`, at the latest schema;
    dropped afterwards."""
    name = f"backlot_{label}_{uuid.uuid4().hex[:10]}"
    url = anyio.run(create_pg_database, server_url, name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        anyio.run(drop_pg_database, server_url, name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 120
) -> None:
    """Poll `url` until it answers anything; fail if `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up (exit {process.poll()})")
        time.sleep(0.05)


@contextmanager
def running_process(command: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """Run an HTTP server command; yields its base URL once it answers anything.

    `env` is added to this environment minus every BACKLOT_ variable of the caller.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")}
    process = subprocess.Popen(command, cwd=cwd, env=clean | env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", process, f"{command[:4]}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{command[:4]} did not stop within 30 s of SIGTERM") from None


@contextmanager
def running_server(cwd: Path, env: dict[str, str], *args: str) -> Iterator[str]:
    """`backlot serve` in a subprocess on 127.0.0.1 (extra CLI `args` appended)."""
    port = free_port()
    command = [sys.executable, "-m", "backlot", "serve", "--port", str(port), *args]
    with running_process(command, cwd, env, port) as base:
        yield base

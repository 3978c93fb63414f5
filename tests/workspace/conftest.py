"""Servers for the workspace suite: real `backlot serve` processes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, bearer, running_server, unique_email

# Seed 002's open rooms (any connect creates one, anyone edits it) and many seats per
# address: the protocol tests connect to fresh rooms from one address. test_security.py
# runs the defaults.
FAST = {
    "BACKLOT_SECRET_KEY": TEST_SECRET,
    "BACKLOT_WORKSPACE_ROOMS_ON_CONNECT": "anyone",
    "BACKLOT_WORKSPACE_MAX_SEATS_PER_CLIENT": "1000",
    "BACKLOT_WORKSPACE_LOCK_TTL_SECONDS": "2",
    "BACKLOT_LOCK_SWEEP_INTERVAL_SECONDS": "0.2",
    "BACKLOT_WORKSPACE_MESSAGES_PER_SECOND": "1000",
    "BACKLOT_WORKSPACE_MESSAGE_BURST": "1000",
    "BACKLOT_LOG_LEVEL": "warning",
}

# Small limits, to meet them quickly.
STRICT = {
    **FAST,
    "BACKLOT_WORKSPACE_IDLE_TIMEOUT_SECONDS": "1.5",
    "BACKLOT_WORKSPACE_MAX_MESSAGE_BYTES": "4096",
    "BACKLOT_WORKSPACE_MESSAGES_PER_SECOND": "5",
    "BACKLOT_WORKSPACE_MESSAGE_BURST": "20",
    "BACKLOT_EVENT_WINDOW": "10",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("workspace"), FAST) as base:
        yield base


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("workspace-strict"), STRICT) as base:
        yield base


async def member(base: str, corporation: str | None = None) -> dict[str, str]:
    """A new account (with its own corporation when named); its Bearer headers."""
    email = unique_email("ws")
    body: dict[str, str] = {"email": email, "password": PASSWORD}
    if corporation:
        body["corporation_name"] = corporation
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.post("/v1/auth/register", json=body)).status_code == 202
        login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return bearer(login.json()["access_token"])


async def open_room(base: str, headers: dict[str, str], **body: object) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        created = await http.post("/v1/workspace/rooms", json=body, headers=headers)
        assert created.status_code == 201, created.text


def access_token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")

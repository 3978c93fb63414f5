"""A signed-in member in Chromium joins a members room with a join ticket (no access
token in any socket URL), and the page reconnects by itself when the server process is
restarted on the same port and database: it says "reconnecting", then comes back live
with the room's content intact."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from backlot.web.pages import VENDOR
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, free_port, running_process
from tests.web.test_workspace_page import SEED
from tests.web.test_workspace_words import _company_member, _page
from tests.workspace.peers import connect

pytestmark = pytest.mark.skipif(
    not VENDOR["blockly.min.js"].is_file(),
    reason="browser tests: the page's npm libraries are missing (run make)",
)

ENV = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}


def _serve(cwd: Path, port: int) -> Any:
    command = [sys.executable, "-m", "backlot", "serve", "--port", str(port)]
    return running_process(command, cwd, ENV, port)


async def test_a_ticket_join_survives_a_server_restart(tmp_path: Path, browser: Any) -> None:
    port = free_port()
    room = f"restart-{uuid.uuid4().hex[:8]}"
    with _serve(tmp_path, port) as base:
        email = _company_member(base, room)
        page = await _page(browser, "en-US")
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        await page.goto(f"{base}/app/workspace/{room}")
        await page.fill("#join input[name=nickname]", "ann")
        await page.click("#join button[type=submit]")
        await page.wait_for_selector("#login:not([hidden])")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#connection.online")
        # Someone commits a program; the page shows it.
        token = await page.evaluate("browserSession.token()")
        peer = await connect(base, room, nickname="seeder", token=token)
        commit = {"blockId": "num1", "events": [], "workspaceXml": SEED}
        await peer.send("COMMIT", commit)
        await peer.expect("COMMIT_APPLY")
        await peer.close()
        # Replayed commits carry Blockly events; a restore carries the whole workspace.
        async with httpx.AsyncClient(base_url=base) as http:
            restored = await http.post(
                f"/v1/workspace/rooms/{room}/snapshots/1/restore",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert restored.status_code == 201, restored.text
        await page.wait_for_selector('g[data-id="num1"]')
    # The server is gone: the page says so and keeps trying.
    await page.wait_for_selector("#connection.reconnecting", timeout=10000)
    assert await page.text_content("#connection") == "reconnecting…"
    with _serve(tmp_path, port):
        await page.wait_for_selector("#connection.online", timeout=30000)
        await page.wait_for_selector('g[data-id="num1"]')
        version = await page.text_content("#version")
        assert version and version.strip() != "v0", version
    # Before signing in the page tried without anything (and was asked to sign in); every
    # signed-in connect, the first and the one after the restart, used a ticket.
    joined = [url for url in sockets if "/ws/workspace/" in url]
    assert all("token=" not in url for url in joined), joined
    assert len([url for url in joined if "ticket=" in url]) >= 2, joined
    assert page.errors == []
    await page.context.close()


async def test_a_bad_room_id_is_explained_on_load(tmp_path: Path, browser: Any) -> None:
    with _serve(tmp_path, free_port()) as base:
        page = await _page(browser, "en-US")
        await page.goto(f"{base}/app/workspace/{'a' * 70}")
        await page.wait_for_function("() => document.querySelector('#message').textContent !== ''")
        assert "64 characters" in (await page.text_content("#message") or "")
        assert await page.is_hidden("#join") and await page.is_hidden("#room")
        await page.goto(f"{base}/app/workspace/has%20space")
        await page.wait_for_function("() => document.querySelector('#message').textContent !== ''")
        assert "letters, digits" in (await page.text_content("#message") or "")
        assert await page.is_hidden("#join")
        assert page.errors == []
        await page.context.close()

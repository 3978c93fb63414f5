"""Odd paths under the static and vendor mounts are 4xx problem JSON, never a 500 with a
logged traceback: traversal, encoded slashes, NUL, very long names, directories, symlink
loops, and a browser library folder that npm has not installed (yet)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.core.errors import install_error_handlers
from backlot.web.pages import WEB_DIR, install_pages

ODD = [
    "",
    "..",
    "%2e%2e/%2e%2e/package.json",
    "..%2f..%2fpackage.json",
    "%2f%2fetc%2fpasswd",
    "a%00b",
    "click.mp3%00.png",
    "a" * 5000,
    "a/" * 3000,
    "sub",
    "sub/",
    "loop",
    "loop/x",
    "%ff%fe",
    "click.mp3/x",
]


def _node_modules(root: Path, *, with_media: bool) -> Path:
    media = root / "blockly" / "media"
    if with_media:
        media.mkdir(parents=True)
        (media / "click.mp3").write_bytes(b"ID3")
        (media / "sub").mkdir()
        os.symlink(media / "loop", media / "loop")  # a symlink loop: stat fails with ELOOP
    return root


async def _client(node_modules: Path) -> AsyncIterator[AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    install_pages(app, node_modules=node_modules)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://t", follow_redirects=True) as http:
        yield http


@pytest.fixture(params=["installed", "missing"])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    node_modules = _node_modules(tmp_path / "node_modules", with_media=request.param == "installed")
    async for http in _client(node_modules):
        yield http


@pytest.mark.parametrize("prefix", ["/app/vendor/blockly-media/", "/app/static/", "/app/vendor/"])
@pytest.mark.parametrize("tail", ODD, ids=lambda t: t[:24])
async def test_odd_static_paths_are_problem_json(
    client: AsyncClient, caplog: pytest.LogCaptureFixture, prefix: str, tail: str
) -> None:
    caplog.set_level(logging.INFO)
    response = await client.get(prefix + tail)
    if tail == ".." and response.url.path == "/":
        # ".." resolves (in the client, as in browsers) to the folder above the mount;
        # /app/ leads to the landing page: nothing under the mount was served.
        assert response.history[0].url.path in {"/app", "/app/"}
        return
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert str(WEB_DIR) not in response.text
    assert "node_modules" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_the_real_file_is_still_served(tmp_path: Path) -> None:
    async for http in _client(_node_modules(tmp_path / "nm", with_media=True)):
        response = await http.get("/app/vendor/blockly-media/click.mp3")
        assert response.status_code == 200
        assert response.content == b"ID3"

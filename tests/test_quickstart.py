"""The quickstart: `backlot serve` in an empty directory, with no setting at all, comes up
in the embedded shape (SQLite under ./var, schema migrated) and serves /healthz and /docs.
Also: the scaled shape refuses to start without a secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BACKLOT = [sys.executable, "-m", "backlot"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")}


def test_serve_cold_start(tmp_path: Path) -> None:
    port = _free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [*BACKLOT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = started + 60
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert health is not None and health.status_code == 200, "service did not come up"
        print(f"cold start to first 200: {time.monotonic() - started:.2f}s")
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.json()["checks"] == {"database": "ok"}
        assert (tmp_path / "var" / "backlot.db").exists()
        assert (tmp_path / "var" / "secret.key").exists()
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "Traceback" not in output, output


def test_scaled_shape_without_secret_refuses_to_start(tmp_path: Path) -> None:
    env = _clean_env() | {"BACKLOT_REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = subprocess.run(
        [*BACKLOT, "serve", "--port", str(_free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert b"BACKLOT_SECRET_KEY" in result.stderr

"""Memory: one API process idle, and one process holding idle sockets, against a bare server.

1. `backlot serve` (embedded, one process) started and left idle, no request answered
   yet: its resident memory (target <= 150 MB); then again after one sign-up, one
   sign-in and one authenticated request (Argon2, the password checker: for the record).
2. The same process with `--sockets` idle Socket.IO clients (the labeling socket, signed
   in) and as many idle workspace sockets (in rooms of 100): its resident memory
   (target <= 600 MB with 2,000 of each).

The baseline, measured in the same run the same way: a bare uvicorn process serving only
python-socketio and a WebSocket endpoint that accepts and holds (bench/bare_sockets.py),
with the same clients. Clients speak the wire protocols directly over `websockets` (the
Engine.IO v4 WebSocket transport for Socket.IO) and answer pings, so nothing times out.

    .venv/bin/python -m bench.memory [--sockets 2000] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psutil
import websockets
from tests.helpers import free_port, running_process, running_server
from websockets.asyncio.client import ClientConnection

from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-0123456789-0123456789"
ACCOUNT = {"email": "memory@example.com", "password": "benchmark password"}
IDLE_TARGET_MB = 150.0
SOCKETS_TARGET_MB = 600.0
ROOM_SIZE = 100
MB = 1024 * 1024

# --- clients ---------------------------------------------------------------------------


class Clients:
    """Idle sockets: each has a reader that answers Engine.IO pings and drops the rest."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.workspace_sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []

    async def _keep(self, ws: ClientConnection, engine_io: bool) -> None:
        try:
            async for frame in ws:
                if engine_io and frame == "2":
                    await ws.send("3")
        except websockets.ConnectionClosed:
            pass

    def _add(self, ws: ClientConnection, engine_io: bool) -> None:
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self._keep(ws, engine_io)))

    async def socketio(self, base: str, token: str | None) -> None:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await websockets.connect(url, max_size=None)
        opened = await ws.recv()
        assert str(opened).startswith("0"), opened
        await ws.send("40" + json.dumps({"token": token} if token else {}))
        connected = str(await ws.recv())
        assert connected.startswith("40"), connected  # "44...": refused
        self._add(ws, engine_io=True)

    async def workspace(self, base: str, room: str) -> None:
        url = base.replace("http://", "ws://") + f"/ws/workspace/{room}/?nickname=idle"
        ws = await websockets.connect(url, max_size=None)
        self._add(ws, engine_io=False)
        self.workspace_sockets.append(ws)

    async def heartbeat(self) -> None:
        """Workspace sockets silent for a minute are closed: keep them alive."""
        for ws in self.workspace_sockets:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send('{"t":"HEARTBEAT","payload":{}}')

    def open_count(self) -> int:
        return sum(1 for ws in self.sockets if ws.state.name == "OPEN")

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def _batched(count: int, make: Callable[[int], Awaitable[None]], batch: int = 50) -> None:
    for first in range(0, count, batch):
        await asyncio.gather(*(make(i) for i in range(first, min(first + batch, count))))


# --- measuring -------------------------------------------------------------------------


def _pid_listening(port: int) -> int:
    for connection in psutil.net_connections(kind="tcp"):
        listening = connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
        if listening and connection.pid is not None:
            return connection.pid
    raise RuntimeError(f"nothing of ours listens on {port}")


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / MB


def _settled_rss(pid: int, seconds: float = 2.0) -> float:
    """RSS once the process has been idle a moment (median of a few reads)."""
    reads = []
    for _ in range(5):
        time.sleep(seconds / 5)
        reads.append(_rss_mb(pid))
    return sorted(reads)[2]


def _sign_in(base: str) -> str:
    httpx.post(f"{base}/v1/auth/register", json={**ACCOUNT, "corporation_name": "Memory"})
    token = httpx.post(f"{base}/v1/auth/login", json=ACCOUNT).json()["access_token"]
    me = httpx.get(f"{base}/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    me.raise_for_status()
    return str(token)


async def _hold_sockets(base: str, pid: int, count: int, token: str | None) -> tuple[float, int]:
    """RSS of the server holding `count` Socket.IO and `count` workspace sockets; and how
    many of the 2 x count were still open when it was read."""
    clients = Clients()
    try:
        await _batched(count, lambda _i: clients.socketio(base, token))
        await _batched(count, lambda i: clients.workspace(base, f"idle-{i // ROOM_SIZE}"))
        await clients.heartbeat()
        await asyncio.sleep(3)  # joins announced, buffers drained
        rss = await asyncio.to_thread(_settled_rss, pid)
        return rss, clients.open_count()
    finally:
        await clients.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000, help="of each kind")
    results.add_json_argument(parser)
    args = parser.parse_args()
    env = {
        "BACKLOT_SECRET_KEY": SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        **LIFTED_LIMITS,
        "BACKLOT_WORKSPACE_DEFAULT_MAX_USERS": str(ROOM_SIZE),
        "BACKLOT_WORKSPACE_MAX_ROOMS_PER_USER": "100000",
    }
    figures: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "bench.bare_sockets:app", "--port", str(port)]
        command += ["--log-level", "warning"]
        with running_process(command, ROOT, {}, port) as bare:
            pid = _pid_listening(port)
            idle = _settled_rss(pid)
            held, alive = asyncio.run(_hold_sockets(bare, pid, args.sockets, None))
            figures["bare python-socketio + WebSocket (baseline)"] = (idle, held, alive)
        with running_server(Path(tmp), env) as base:
            pid = _pid_listening(int(base.rsplit(":", 1)[1]))
            idle = _settled_rss(pid)
            token = _sign_in(base)
            signed_in = _settled_rss(pid)
            held, alive = asyncio.run(_hold_sockets(base, pid, args.sockets, token))
            figures["backlot serve, embedded"] = (idle, held, alive)

    n = args.sockets
    (bare_idle, bare_held, _), (idle, held, alive) = figures.values()
    print(f"\nresident memory (MB); sockets: {n} idle Socket.IO + {n} idle workspace")
    print(f"{'server':<46} {'idle':>7} {'sockets':>8} {'open':>6} {'KB/socket':>10}")
    for name, (i, h, a) in figures.items():
        per = (h - i) * 1024 / (2 * n)
        print(f"{name:<46} {i:>7.0f} {h:>8.0f} {a:>6} {per:>10.1f}")
    print(f"backlot after one sign-up, sign-in and request: {signed_in:.0f} MB")
    idle_met, held_met = idle <= IDLE_TARGET_MB, held <= SOCKETS_TARGET_MB and alive == 2 * n
    print(
        f"idle {idle:.0f} MB (target <= {IDLE_TARGET_MB:.0f}): {'met' if idle_met else 'missed'};"
        f" with sockets {held:.0f} MB (target <= {SOCKETS_TARGET_MB:.0f}):"
        f" {'met' if held_met else 'missed'}"
    )
    bare_name = "bare uvicorn + python-socketio + WebSocket, same run"
    per_socket = (held - idle) * 1024 / (2 * n)
    bare_per_socket = (bare_held - bare_idle) * 1024 / (2 * n)
    rows = [
        Row("bare server (baseline): idle RSS", bare_idle, "MB"),
        Row(
            "API process idle: RSS",
            idle,
            "MB",
            bare_name,
            idle / bare_idle,
            f"<= {IDLE_TARGET_MB:.0f} MB",
            idle_met,
        ),
        Row("API process after a sign-up, a sign-in and a request: RSS", signed_in, "MB"),
        Row(f"bare server (baseline): RSS with {n} + {n} idle sockets", bare_held, "MB"),
        Row(
            f"API process with {n} Socket.IO + {n} workspace idle sockets: RSS",
            held,
            "MB",
            bare_name,
            held / bare_held,
            f"<= {SOCKETS_TARGET_MB:.0f} MB",
            held_met,
        ),
        Row("bare server (baseline): per idle socket", bare_per_socket, "KB"),
        Row(
            "API process: per idle socket",
            per_socket,
            "KB",
            bare_name,
            per_socket / bare_per_socket if bare_per_socket > 0 else None,
        ),
    ]
    results.write(args.json, "memory", rows, notes=[f"{alive} of {2 * n} sockets open when read"])


if __name__ == "__main__":
    main()

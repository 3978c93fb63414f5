"""Where a labeling request's time goes: in-process (ASGI transport, no network), sequential
requests of growing work, each as a multiple of GET /healthz measured in the same run.

    .venv/bin/python -m bench.request_costs [--requests N] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from httpx import ASGITransport, AsyncClient

from backlot.app import create_app
from backlot.core import migrate
from backlot.core.settings import Settings
from bench import results as report
from bench.results import Row

PASSWORD = "benchmark password"


async def _measure(requests: int) -> list[tuple[str, float]]:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    settings = Settings(_env_file=None, database_url=url, secret_key="b" * 40, var_dir=folder)  # type: ignore[call-arg, arg-type]
    app = create_app(settings)
    results: list[tuple[str, float]] = []
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as http,
    ):
        account = {"email": "bench@example.com", "password": PASSWORD}
        await http.post("/v1/auth/register", json={**account, "corporation_name": "Bench"})
        token = (await http.post("/v1/auth/login", json=account)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        project = await http.post("/v1/labeling/projects", json={"name": "B"}, headers=headers)
        pid = project.json()["id"]
        body = {"project_id": pid, "file_name": "a.jpg"}

        async def lock_unlock() -> None:
            await http.post("/v1/labeling/lock", json=body, headers=headers)
            await http.post("/v1/labeling/unlock", json=body, headers=headers)

        cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("GET /healthz (baseline)", lambda: http.get("/healthz")),
            ("GET /v1/users/me", lambda: http.get("/v1/users/me", headers=headers)),
            (
                "GET /v1/labeling/status",
                lambda: http.get(f"/v1/labeling/status/{pid}", headers=headers),
            ),
            ("lock + unlock (2 requests)", lock_unlock),
        ]
        for name, call in cases:
            await call()  # warm-up
            started = time.perf_counter()
            for _ in range(requests):
                await call()
            results.append((name, (time.perf_counter() - started) / requests * 1000))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    report.add_json_argument(parser)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.requests))
    baseline = results[0][1]
    print(f"{'request':<30} {'ms':>8} {'vs baseline':>12}")
    for name, ms in results:
        print(f"{name:<30} {ms:>8.2f} {ms / baseline:>11.1f}x")
    # Times: the ratio is baseline / value (bench/results.py), so 0.1x costs ten healthz.
    rows = [
        Row(f"{name}: time per request", ms, "ms")
        if name.endswith("(baseline)")
        else Row(f"{name}: time per request", ms, "ms", "GET /healthz, same run", baseline / ms)
        for name, ms in results
    ]
    report.write(
        args.json,
        "request_costs",
        rows,
        notes=[f"in-process ASGI, SQLite, {args.requests} sequential requests each"],
    )


if __name__ == "__main__":
    main()

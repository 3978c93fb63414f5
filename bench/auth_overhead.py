"""What does authentication cost per request?

Runs, in one process and one run: unauthenticated GET /healthz (the baseline), an
authenticated GET /v1/users/me (JWT check + one user lookup), and POST /v1/auth/login
(Argon2id verify + token issue), all through uvicorn on 127.0.0.1 with a real HTTP client.
Prints requests per second and each ratio against the baseline.

    make bench            # or: .venv/bin/python -m bench.auth_overhead [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from tests.helpers import running_server

from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row

PASSWORD = "benchmark password"


async def _rate(client: httpx.AsyncClient, n: int, concurrency: int, **request: object) -> float:
    queue = iter(range(n))

    async def worker() -> None:
        for _ in queue:
            response = await client.request(**request)  # type: ignore[arg-type]
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def _measure(base: str, n: int, concurrency: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        email = "bench@example.com"
        await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        login = {"email": email, "password": PASSWORD}
        token = (await client.post("/v1/auth/login", json=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        await _rate(client, 50, concurrency, method="GET", url="/healthz")  # warm-up
        return {
            "GET /healthz (baseline)": await _rate(
                client, n, concurrency, method="GET", url="/healthz"
            ),
            "GET /v1/users/me": await _rate(
                client, n, concurrency, method="GET", url="/v1/users/me", headers=headers
            ),
            "POST /v1/auth/login": await _rate(
                client,
                max(n // 10, 20),
                concurrency,
                method="POST",
                url="/v1/auth/login",
                json=login,
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    results.add_json_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        env = {"BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS}
        with running_server(Path(workdir), env) as base:
            rates = asyncio.run(_measure(base, args.requests, args.concurrency))
    baseline = rates["GET /healthz (baseline)"]
    print(f"{'operation':<28} {'req/s':>10} {'vs baseline':>12}")
    for name, rate in rates.items():
        print(f"{name:<28} {rate:>10.0f} {rate / baseline:>11.2f}x")
    rows = [
        Row(f"{name}: requests/s", rate, "req/s")
        if name.endswith("(baseline)")
        else Row(f"{name}: requests/s", rate, "req/s", "GET /healthz, same run", rate / baseline)
        for name, rate in rates.items()
    ]
    results.write(
        args.json,
        "auth_overhead",
        rows,
        notes=[f"one process, {args.concurrency} concurrent clients, {args.requests} requests"],
    )


if __name__ == "__main__":
    main()

"""The baseline of bench/locks.py: only what seed 000 describes, nothing more.

FastAPI + one Redis `SET NX PX` per lock and a compare-and-delete per unlock: no auth, no
per-user limit, no audit, no broadcast. Run by the benchmark as its own uvicorn process:

    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 uvicorn bench.seed_minimal:app --port 8001
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from redis.asyncio import Redis

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LockBody(BaseModel):
    project_id: int
    file_name: str
    user_id: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    app.state.unlock = app.state.redis.register_script(_UNLOCK)
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


@app.post("/lock")
async def lock(body: LockBody) -> dict[str, str]:
    key = f"bench-seed:lock:{body.project_id}:{body.file_name}"
    if not await app.state.redis.set(key, body.user_id, nx=True, px=60_000):
        raise HTTPException(409, "locked")
    return {"file": body.file_name, "user": body.user_id}


@app.post("/unlock")
async def unlock(body: LockBody) -> dict[str, bool]:
    key = f"bench-seed:lock:{body.project_id}:{body.file_name}"
    return {"released": bool(await app.state.unlock(keys=[key], args=[body.user_id]))}

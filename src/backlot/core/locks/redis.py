"""Redis lock store for the scaled shape: every operation is one Lua script.

Keys (all of one scope share the hash tag `{scope}`, so the store is cluster-ready):

    <prefix>lock:{scope}:<resource>    hash: o owner, t token, e expiry (ms), i info JSON
    <prefix>owner:{scope}:<owner>      set of resources the owner holds
    <prefix>deadlines:{scope}          sorted set: resource by expiry (ms)
    <prefix>fence:{scope}              counter: the scope's last fencing token
    <prefix>lock-scopes                sorted set: scope by the last acquire that indexed it
                                       (ms); the sweeper's index, only ever touched by
                                       single-key commands

With an empty prefix, labeling's locks are exactly seed 000's `lock:{project_id}:{file}`.
Time is the caller's clock (passed as `now`), not Redis's, so all processes and the
tests agree on one clock.

An acquire indexes its scope only when the scope had no lock left (the sweeper forgets a
scope only once it is empty, and only if no acquire re-scored it since it looked), or when
this process has not indexed it for `INDEX_REFRESH_SECONDS`: most acquires cost one
command.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from backlot.core.clock import Clock
from backlot.core.locks.base import (
    Denial,
    DenialReason,
    Grant,
    Lock,
    OwnerRelease,
    Release,
    ReleaseOutcome,
    Renewal,
    check_scope,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript


# How long this process trusts that a scope it indexed is still in the index (a repair
# bound should an index write have failed); and how many scopes it remembers.
INDEX_REFRESH_SECONDS = 30.0
_INDEXED_MAX = 10_000


def _lua(name: str, with_prelude: bool = True) -> str:
    folder = resources.files("backlot.core.locks") / "lua"
    body = (folder / f"{name}.lua").read_text()
    return ((folder / "common.lua").read_text() + "\n" + body) if with_prelude else body


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _ttl_ms(ttl: timedelta) -> int:
    ms = int(ttl.total_seconds() * 1000)
    if ms <= 0:
        raise ValueError("ttl must be positive")
    return ms


class RedisLockStore:
    def __init__(self, redis: Redis, clock: Clock, prefix: str = "") -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._index = f"{prefix}lock-scopes"
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(_lua(name))
            for name in ("acquire", "renew", "release", "release_owner", "holders", "sweep")
        }
        self._unindex = redis.register_script(_lua("unindex", with_prelude=False))
        self._indexed: OrderedDict[str, float] = OrderedDict()  # scope -> monotonic time

    async def _run(self, name: str, scope: str, *args: str | int | bytes) -> Any:
        check_scope(scope)
        key = f"{self._prefix}deadlines:{{{scope}}}"  # declares the slot the script uses
        now = _ms(self._clock.now())
        raw = await self._scripts[name](keys=[key], args=[self._prefix, scope, now, *args])
        return orjson.loads(raw)

    def _lock(self, scope: str, data: dict[str, Any]) -> Lock:
        return Lock(
            scope=scope,
            resource=data["r"],
            owner=data["o"],
            token=int(data["t"]),
            expires_at=datetime.fromtimestamp(data["e"] / 1000, tz=UTC),
            info=orjson.loads(data["i"]) if data.get("i") else {},
        )

    def _locks(self, scope: str, items: Any) -> list[Lock]:
        # cjson encodes an empty Lua table as {}, not [].
        return [self._lock(scope, item) for item in items] if isinstance(items, list) else []

    async def acquire(
        self,
        scope: str,
        resource: str,
        owner: str,
        ttl: timedelta,
        *,
        max_per_owner: int | None = None,
        switch: bool = False,
        info: dict[str, Any] | None = None,
    ) -> Grant | Denial:
        result = await self._run(
            "acquire",
            scope,
            resource,
            owner,
            _ttl_ms(ttl),
            max_per_owner or 0,
            1 if switch else 0,
            orjson.dumps(info or {}),
        )
        await self._index_scope(scope, fresh=bool(result.get("fresh")))
        expired = self._locks(scope, result.get("expired"))
        if not result["granted"]:
            return Denial(
                DenialReason(result["reason"]), self._lock(scope, result["holder"]), expired
            )
        return Grant(
            self._lock(scope, result["lock"]),
            renewed=result["renewed"],
            expired=expired,
            switched=self._locks(scope, result.get("switched")),
        )

    async def _index_scope(self, scope: str, *, fresh: bool) -> None:
        now = time.monotonic()
        last = self._indexed.get(scope)
        if not fresh and last is not None and now - last < INDEX_REFRESH_SECONDS:
            return
        await self._redis.zadd(self._index, {scope: _ms(self._clock.now())})
        self._indexed[scope] = now
        self._indexed.move_to_end(scope)
        if len(self._indexed) > _INDEXED_MAX:
            self._indexed.popitem(last=False)

    async def renew(self, scope: str, owner: str, ttl: timedelta) -> Renewal:
        result = await self._run("renew", scope, owner, _ttl_ms(ttl))
        return Renewal(self._locks(scope, result["renewed"]), self._locks(scope, result["expired"]))

    async def _release(
        self, scope: str, resource: str, owner: str, token: int | None, force: bool
    ) -> Release:
        result = await self._run(
            "release", scope, resource, owner, "" if token is None else token, 1 if force else 0
        )
        lock = self._lock(scope, result["lock"]) if result.get("lock") else None
        return Release(ReleaseOutcome(result["outcome"]), lock)

    async def release(
        self, scope: str, resource: str, owner: str, token: int | None = None
    ) -> Release:
        return await self._release(scope, resource, owner, token, force=False)

    async def force_release(self, scope: str, resource: str) -> Release:
        return await self._release(scope, resource, "", None, force=True)

    async def release_owner(self, scope: str, owner: str) -> OwnerRelease:
        result = await self._run("release_owner", scope, owner)
        return OwnerRelease(
            self._locks(scope, result["released"]), self._locks(scope, result["expired"])
        )

    async def holders(self, scope: str) -> list[Lock]:
        return self._locks(scope, await self._run("holders", scope, ""))

    async def get(self, scope: str, resource: str) -> Lock | None:
        found = self._locks(scope, await self._run("holders", scope, resource))
        return found[0] if found else None

    async def sweep(self, limit: int = 1000) -> list[Lock]:
        expired: list[Lock] = []
        entries: list[Any] = await self._redis.zrange(self._index, 0, -1, withscores=True)
        for raw_scope, touched in entries:
            if len(expired) >= limit:
                break
            scope = raw_scope.decode() if isinstance(raw_scope, bytes) else str(raw_scope)
            result = await self._run("sweep", scope, limit - len(expired))
            expired += self._locks(scope, result["expired"])
            if result["remaining"] == 0:
                await self._unindex(keys=[self._index], args=[scope, str(int(touched))])
        return expired

    async def close(self) -> None:
        return None

"""A hypothesis state machine drives each lock store and a plain model side by side,
with random interleavings of every operation and random clock jumps."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from redis.asyncio import Redis

from backlot.core.clock import FrozenClock
from backlot.core.locks import (
    Denial,
    DenialReason,
    Grant,
    Lock,
    LockStore,
    ReleaseOutcome,
    build_lock_store,
)
from tests.conftest import REDIS_URL, needs_redis
from tests.contract.conftest import delete_prefix

SCOPES = st.sampled_from(["p", "q"])
RESOURCES = st.sampled_from(["a", "b", "c"])
OWNERS = st.sampled_from(["u1", "u2", "u3"])
TTLS = st.sampled_from([timedelta(seconds=10), timedelta(seconds=60)])


@dataclass
class ModelLock:
    owner: str
    token: int
    expires: float  # seconds on the frozen clock
    state: str = "held"  # held | released | expired (reported)


class LockModel:
    def __init__(self) -> None:
        self.now = 0.0
        self.current: dict[tuple[str, str], ModelLock] = {}
        self.fences: dict[str, int] = {}  # one fencing counter per scope
        self.instances: dict[tuple[str, str, int], ModelLock] = {}

    def live(self, scope: str, resource: str) -> ModelLock | None:
        lock = self.current.get((scope, resource))
        return (
            lock if lock is not None and lock.state == "held" and lock.expires > self.now else None
        )

    def owned(self, scope: str, owner: str) -> list[str]:
        return sorted(
            r
            for (s, r), lock in self.current.items()
            if s == scope and lock.owner == owner and self.live(s, r) is lock
        )

    def take(self, scope: str, resource: str, owner: str, ttl: float) -> int:
        token = self.fences.get(scope, 0) + 1
        self.fences[scope] = token
        lock = ModelLock(owner, token, self.now + ttl)
        self.current[(scope, resource)] = lock
        self.instances[(scope, resource, token)] = lock
        return token


class LockMachine(RuleBasedStateMachine):
    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FrozenClock()
        self.start = self.clock.now()
        self.model = LockModel()
        self.redis: Redis | None = None
        self.prefix = f"model-{uuid.uuid4().hex[:8]}:"
        if self.backend == "redis":
            assert REDIS_URL is not None
            self.redis = Redis.from_url(REDIS_URL)
        self.store: LockStore = build_lock_store(self.redis, self.clock, self.prefix)

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def report(self, locks: list[Lock]) -> None:
        """Expiry reports: each lapsed instance exactly once, and only once lapsed."""
        for lock in locks:
            instance = self.model.instances[(lock.scope, lock.resource, lock.token)]
            assert instance.state == "held", f"{lock} reported twice or after release"
            assert instance.expires <= self.model.now, f"{lock} reported before it lapsed"
            instance.state = "expired"

    def released(self, locks: list[Lock]) -> None:
        for lock in locks:
            instance = self.model.instances[(lock.scope, lock.resource, lock.token)]
            assert instance.state == "held" and instance.expires > self.model.now
            instance.state = "released"

    @rule(seconds=st.integers(min_value=0, max_value=90))
    def advance(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.model.now += seconds

    @rule(
        scope=SCOPES,
        resource=RESOURCES,
        owner=OWNERS,
        ttl=TTLS,
        limit=st.sampled_from([None, 1, 2]),
        switch=st.booleans(),
    )
    def acquire(
        self, scope: str, resource: str, owner: str, ttl: timedelta, limit: int | None, switch: bool
    ) -> None:
        result = self.run(
            self.store.acquire(scope, resource, owner, ttl, max_per_owner=limit, switch=switch)
        )
        self.report(result.expired)
        model, seconds = self.model, ttl.total_seconds()
        current = model.live(scope, resource)
        if current is not None and current.owner != owner:
            assert isinstance(result, Denial) and result.reason is DenialReason.held
            assert result.holder.owner == current.owner
            return
        if current is not None:
            assert isinstance(result, Grant) and result.renewed
            assert result.lock.token == current.token
            current.expires = model.now + seconds
            return
        held = model.owned(scope, owner)
        if limit is not None and len(held) >= limit:
            if not switch:
                assert isinstance(result, Denial) and result.reason is DenialReason.owner_limit
                assert result.holder.resource == held[0]
                return
            assert isinstance(result, Grant)
            assert [lock.resource for lock in result.switched] == held[: len(held) - limit + 1]
            self.released(result.switched)
        assert isinstance(result, Grant) and not result.renewed, result
        assert result.lock.token == model.take(scope, resource, owner, seconds)

    @rule(scope=SCOPES, owner=OWNERS, ttl=TTLS)
    def renew(self, scope: str, owner: str, ttl: timedelta) -> None:
        result = self.run(self.store.renew(scope, owner, ttl))
        self.report(result.expired)
        assert [lock.resource for lock in result.renewed] == self.model.owned(scope, owner)
        for lock in result.renewed:
            self.model.current[(scope, lock.resource)].expires = (
                self.model.now + ttl.total_seconds()
            )

    @rule(scope=SCOPES, resource=RESOURCES, owner=OWNERS, token_shift=st.sampled_from([None, 0, 1]))
    def release(self, scope: str, resource: str, owner: str, token_shift: int | None) -> None:
        current = self.model.live(scope, resource)
        token = None if token_shift is None or current is None else current.token + token_shift
        result = self.run(self.store.release(scope, resource, owner, token))
        if result.outcome is ReleaseOutcome.expired:
            assert result.lock is not None
            self.report([result.lock])
        if current is None:
            assert result.outcome in (ReleaseOutcome.not_locked, ReleaseOutcome.expired)
        elif current.owner != owner:
            assert result.outcome is ReleaseOutcome.not_owner
        elif token_shift == 1:
            assert result.outcome is ReleaseOutcome.stale_token
        else:
            assert result.outcome is ReleaseOutcome.released
            assert result.lock is not None
            self.released([result.lock])

    @rule(scope=SCOPES, resource=RESOURCES)
    def force_release(self, scope: str, resource: str) -> None:
        current = self.model.live(scope, resource)
        result = self.run(self.store.force_release(scope, resource))
        if result.outcome is ReleaseOutcome.expired:
            assert result.lock is not None
            self.report([result.lock])
        if current is None:
            assert result.outcome in (ReleaseOutcome.not_locked, ReleaseOutcome.expired)
        else:
            assert result.outcome is ReleaseOutcome.released
            assert result.lock is not None
            self.released([result.lock])
            self.model.fences[scope] += 1

    @rule(scope=SCOPES, owner=OWNERS)
    def release_owner(self, scope: str, owner: str) -> None:
        expected = self.model.owned(scope, owner)
        result = self.run(self.store.release_owner(scope, owner))
        self.report(result.expired)
        assert sorted(lock.resource for lock in result.released) == expected
        self.released(result.released)

    @rule()
    def sweep(self) -> None:
        self.report(self.run(self.store.sweep()))

    @invariant()
    def holders_match(self) -> None:
        for scope in ("p", "q"):
            seen = [
                (lock.resource, lock.owner, lock.token)
                for lock in self.run(self.store.holders(scope))
            ]
            expected = [
                (r, lock.owner, lock.token)
                for r in ("a", "b", "c")
                if (lock := self.model.live(scope, r)) is not None
            ]
            assert seen == expected

    def teardown(self) -> None:
        try:
            # Far in the future: every lock has lapsed; the sweep reports the rest, and
            # then every lapsed instance has been reported exactly once.
            self.clock.advance(timedelta(days=1))
            self.model.now += 86400
            self.report(self.run(self.store.sweep()))
            leftover = [k for k, lock in self.model.instances.items() if lock.state == "held"]
            assert leftover == [], f"never reported as expired: {leftover}"
        finally:
            if self.redis is not None:
                self.run(delete_prefix(self.redis, self.prefix))
                self.run(self.redis.aclose())
            self.loop.close()


@pytest.mark.parametrize(
    ("backend", "examples"), [("memory", 150), pytest.param("redis", 60, marks=needs_redis)]
)
def test_store_behaves_like_the_model(backend: str, examples: int) -> None:
    machine = type(f"LockMachine_{backend}", (LockMachine,), {"backend": backend})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

"""One contract, every lock store backend (in-process and Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from backlot.core.clock import FrozenClock
from backlot.core.locks import Denial, DenialReason, Grant, LockStore, ReleaseOutcome

TTL = timedelta(seconds=60)


def granted(result: Grant | Denial) -> Grant:
    assert isinstance(result, Grant), result
    return result


def denied(result: Grant | Denial) -> Denial:
    assert isinstance(result, Denial), result
    return result


async def test_grant_then_deny_naming_the_holder(store: LockStore, clock: FrozenClock) -> None:
    grant = granted(await store.acquire("p1", "a.jpg", "alice", TTL, info={"name": "Alice"}))
    assert grant.lock.owner == "alice"
    assert grant.lock.expires_at == clock.now() + TTL
    assert grant.lock.info == {"name": "Alice"}
    clock.advance(timedelta(seconds=19))
    denial = denied(await store.acquire("p1", "a.jpg", "bob", TTL))
    assert denial.reason is DenialReason.held
    assert denial.holder.owner == "alice"
    assert denial.holder.info == {"name": "Alice"}
    assert denial.holder.remaining(clock.now()) == timedelta(seconds=41)


async def test_scopes_are_independent(store: LockStore) -> None:
    granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    granted(await store.acquire("p2", "a.jpg", "bob", TTL))
    assert [lock.owner for lock in await store.holders("p2")] == ["bob"]


async def test_reacquire_renews_and_keeps_token(store: LockStore, clock: FrozenClock) -> None:
    first = granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    clock.advance(timedelta(seconds=30))
    again = granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    assert again.renewed
    assert again.lock.token == first.lock.token
    assert again.lock.expires_at == clock.now() + TTL


async def test_fencing_tokens_increase_per_resource(store: LockStore) -> None:
    tokens = []
    for owner in ("alice", "bob", "carol"):
        grant = granted(await store.acquire("p1", "a.jpg", owner, TTL))
        tokens.append(grant.lock.token)
        assert (await store.release("p1", "a.jpg", owner)).outcome is ReleaseOutcome.released
    assert tokens == sorted(set(tokens))


async def test_fencing_tokens_increase_per_scope_across_resources(
    store: LockStore, clock: FrozenClock
) -> None:
    """One counter per scope: every new grant in the scope outranks every earlier one,
    whatever the resource, through release, expiry, forced release and re-acquire."""
    tokens = [granted(await store.acquire("p1", "a.jpg", "alice", TTL)).lock.token]
    tokens.append(granted(await store.acquire("p1", "b.jpg", "bob", TTL)).lock.token)
    await store.release("p1", "a.jpg", "alice")
    tokens.append(granted(await store.acquire("p1", "a.jpg", "bob", TTL)).lock.token)
    clock.advance(TTL)
    assert len(await store.sweep()) == 2
    tokens.append(granted(await store.acquire("p1", "b.jpg", "carol", TTL)).lock.token)
    tokens.append(granted(await store.acquire("p1", "c.jpg", "carol", TTL)).lock.token)
    await store.force_release("p1", "c.jpg")
    tokens.append(granted(await store.acquire("p1", "d.jpg", "alice", TTL)).lock.token)
    assert tokens == sorted(set(tokens)), tokens
    assert tokens[-1] > tokens[-2] + 1  # the forced release used one up
    # Another scope counts on its own.
    assert granted(await store.acquire("p2", "a.jpg", "alice", TTL)).lock.token < tokens[-1]


async def test_owner_limit_and_switch(store: LockStore) -> None:
    granted(await store.acquire("p1", "a.jpg", "alice", TTL, max_per_owner=1))
    denial = denied(await store.acquire("p1", "b.jpg", "alice", TTL, max_per_owner=1))
    assert denial.reason is DenialReason.owner_limit
    assert denial.holder.resource == "a.jpg"
    # Another scope does not count against the limit.
    granted(await store.acquire("p2", "z.jpg", "alice", TTL, max_per_owner=1))
    switched = granted(
        await store.acquire("p1", "b.jpg", "alice", TTL, max_per_owner=1, switch=True)
    )
    assert [lock.resource for lock in switched.switched] == ["a.jpg"]
    assert [lock.resource for lock in await store.holders("p1")] == ["b.jpg"]


async def test_renew_extends_every_lock_of_the_owner(store: LockStore, clock: FrozenClock) -> None:
    granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    granted(await store.acquire("p1", "b.jpg", "alice", TTL))
    granted(await store.acquire("p1", "c.jpg", "bob", TTL))
    granted(await store.acquire("p2", "d.jpg", "alice", TTL))
    clock.advance(timedelta(seconds=50))
    renewal = await store.renew("p1", "alice", TTL)
    assert [lock.resource for lock in renewal.renewed] == ["a.jpg", "b.jpg"]
    clock.advance(timedelta(seconds=20))  # 70 s after the start
    assert [(lock.resource, lock.owner) for lock in await store.holders("p1")] == [
        ("a.jpg", "alice"),
        ("b.jpg", "alice"),
    ]
    assert await store.holders("p2") == []


async def test_release_checks_owner_and_token(store: LockStore) -> None:
    grant = granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    assert (await store.release("p1", "a.jpg", "bob")).outcome is ReleaseOutcome.not_owner
    stale = await store.release("p1", "a.jpg", "alice", grant.lock.token + 1)
    assert stale.outcome is ReleaseOutcome.stale_token
    done = await store.release("p1", "a.jpg", "alice", grant.lock.token)
    assert done.outcome is ReleaseOutcome.released
    assert done.lock is not None and done.lock.token == grant.lock.token
    assert (await store.release("p1", "a.jpg", "alice")).outcome is ReleaseOutcome.not_locked


async def test_force_release_makes_old_token_stale(store: LockStore) -> None:
    grant = granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    forced = await store.force_release("p1", "a.jpg")
    assert forced.outcome is ReleaseOutcome.released
    later = await store.release("p1", "a.jpg", "alice", grant.lock.token)
    assert later.outcome is ReleaseOutcome.not_locked
    again = granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    assert again.lock.token == grant.lock.token + 2  # the force bumped it once more


async def test_release_owner(store: LockStore) -> None:
    granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    granted(await store.acquire("p1", "b.jpg", "alice", TTL))
    granted(await store.acquire("p1", "c.jpg", "bob", TTL))
    released = await store.release_owner("p1", "alice")
    assert sorted(lock.resource for lock in released.released) == ["a.jpg", "b.jpg"]
    assert [lock.owner for lock in await store.holders("p1")] == ["bob"]


async def test_expired_lock_is_free_at_once_and_reported_once(
    store: LockStore, clock: FrozenClock
) -> None:
    granted(await store.acquire("p1", "a.jpg", "alice", TTL))
    clock.advance(TTL)
    assert await store.holders("p1") == []
    assert await store.get("p1", "a.jpg") is None
    taken = granted(await store.acquire("p1", "a.jpg", "bob", TTL))
    assert [(lock.resource, lock.owner) for lock in taken.expired] == [("a.jpg", "alice")]
    assert await store.sweep() == []  # already reported by the acquire


async def test_two_sweepers_report_each_expiry_exactly_once(
    lock_stores: Callable[[], LockStore], clock: FrozenClock
) -> None:
    writer, first, second = lock_stores(), lock_stores(), lock_stores()
    for index in range(30):
        granted(await writer.acquire(f"p{index % 3}", f"f{index}.jpg", f"u{index}", TTL))
    clock.advance(TTL + timedelta(seconds=1))
    batches = await asyncio.gather(*(s.sweep(limit=7) for s in (first, second) for _ in range(6)))
    swept = [(lock.scope, lock.resource) for batch in batches for lock in batch]
    swept += [(lock.scope, lock.resource) for lock in await first.sweep()]
    assert len(swept) == 30
    assert len(set(swept)) == 30
    assert await second.sweep() == []


async def test_sweep_leaves_live_locks(store: LockStore, clock: FrozenClock) -> None:
    granted(await store.acquire("p1", "short.jpg", "alice", timedelta(seconds=5)))
    granted(await store.acquire("p1", "long.jpg", "bob", TTL))
    clock.advance(timedelta(seconds=6))
    assert [lock.resource for lock in await store.sweep()] == ["short.jpg"]
    assert [lock.resource for lock in await store.holders("p1")] == ["long.jpg"]


async def test_many_owners_race_for_one_resource(lock_stores: Callable[[], LockStore]) -> None:
    stores = [lock_stores(), lock_stores()]  # two "processes"
    results = await asyncio.gather(
        *(stores[i % 2].acquire("p1", "hot.jpg", f"user{i}", TTL) for i in range(50))
    )
    assert sum(isinstance(r, Grant) for r in results) == 1
    assert all(r.reason is DenialReason.held for r in results if isinstance(r, Denial))


async def test_one_owner_racing_for_two_resources_gets_one(
    lock_stores: Callable[[], LockStore],
) -> None:
    stores = [lock_stores(), lock_stores()]
    results = await asyncio.gather(
        *(
            stores[i % 2].acquire("p1", f"file{i}.jpg", "alice", TTL, max_per_owner=1)
            for i in range(10)
        )
    )
    assert sum(isinstance(r, Grant) for r in results) == 1


@pytest.mark.parametrize("scope", ["", "has space", "brace{", "x" * 201])
async def test_bad_scopes_are_refused(store: LockStore, scope: str) -> None:
    with pytest.raises(ValueError, match="scope"):
        await store.acquire(scope, "a.jpg", "alice", TTL)

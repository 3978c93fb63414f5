"""Short-lived caches of facts read from rows, for paths too hot for a query each time.

A `RowCache` holds values derived from rows of one model, keyed by primary key. An
entry lives `ttl` seconds at most, which bounds how stale it can be when another process
changed the row; when a session of this process flushes a change or a delete of such a
row, every `RowCache` of that model drops the key at once (and again at commit, so a
reader that raced the flush cannot keep the old value).

Only changes through ORM instances are seen; bulk `update()`/`delete()` statements are
not, so a cached fact must not be one that such statements change.

Hot paths keep their entries warm with `refresh_soon`: an entry past half its TTL that is
read again is re-read in the background (the keys due at one moment in one query), while
the entry, still within its TTL, keeps being served. A busy user or project then never
waits for the database, and never for a queue of others' re-reads all due at once. A
re-read started before a drop (a change, an ended session) is thrown away, so a drop
still takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

_CHANGED = "backlot.cache.changed"
V = TypeVar("V")
log = logging.getLogger("backlot.cache")
# Keys that come due together are re-read together: the refresher waits this long first.
REFRESH_GATHER_SECONDS = 0.02
# Reads the rows of some keys; a key missing from the answer has no row any more.
Loader = Callable[[list[Any]], Awaitable[dict[Any, V]]]
_caches: dict[type[Any], weakref.WeakSet[RowCache[Any]]] = {}


class RowCache(Generic[V]):
    def __init__(self, model: type[Any], ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.model = model
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, tuple[float, V]] = OrderedDict()
        self._drops = 0  # how many drops so far: a re-read that saw one is thrown away
        self._due: set[Any] = set()
        self._refresher: asyncio.Task[None] | None = None
        _caches.setdefault(model, weakref.WeakSet()).add(self)

    def get(self, key: Any) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() >= entry[0]:
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: Any, value: V) -> None:
        if self.ttl <= 0:
            return
        self._entries[key] = (time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: Any) -> None:
        self._drops += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._drops += 1
        self._entries.clear()

    def refresh_soon(self, key: Any, load: Loader[V]) -> None:
        """Re-read `key` in the background if its entry is past half its TTL (call it
        after a hit). Keys asked for meanwhile go in the same `load`."""
        entry = self._entries.get(key)
        if entry is None or entry[0] - time.monotonic() > self.ttl / 2 or key in self._due:
            return
        self._due.add(key)
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(
                self._refresh(load), name=f"refresh {self.model.__name__} cache"
            )

    async def _refresh(self, load: Loader[V]) -> None:
        await asyncio.sleep(REFRESH_GATHER_SECONDS)
        while self._due:
            keys, drops = list(self._due), self._drops
            try:
                found = await load(keys)
            except Exception:  # the entries lapse and are read on demand instead
                log.warning("re-reading %s rows failed", self.model.__name__, exc_info=True)
                found = None
            self._due.difference_update(keys)
            if found is None or drops != self._drops:
                continue
            self._store(keys, found)

    def _store(self, keys: Iterable[Any], found: dict[Any, V]) -> None:
        for key in keys:
            if key in found:
                self.put(key, found[key])
            else:
                self._entries.pop(key, None)


def _drop(changed: set[tuple[type[Any], Any]]) -> None:
    for model, key in changed:
        for cache in _caches.get(model, ()):
            cache.drop(key)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    changed: set[tuple[type[Any], Any]] = session.info.setdefault(_CHANGED, set())
    for instance in (*session.dirty, *session.deleted):
        model = type(instance)
        if model in _caches:
            identity = inspect(instance).identity
            if identity is not None:
                changed.add((model, identity[0] if len(identity) == 1 else identity))
    _drop(changed)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    _drop(session.info.pop(_CHANGED, set()))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)

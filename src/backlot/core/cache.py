"""Short-lived caches of facts read from rows, for paths too hot for a query each time.

A `RowCache` holds values derived from rows of one model, keyed by primary key. An
entry lives `ttl` seconds at most, which bounds how stale it can be when another process
changed the row; when a session of this process flushes a change or a delete of such a
row, every `RowCache` of that model drops the key at once (and again at commit, so a
reader that raced the flush cannot keep the old value).

Only changes through ORM instances are seen; bulk `update()`/`delete()` statements are
not, so a cached fact must not be one that such statements change.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

_CHANGED = "backlot.cache.changed"
V = TypeVar("V")
_caches: dict[type[Any], weakref.WeakSet[RowCache[Any]]] = {}


class RowCache(Generic[V]):
    def __init__(self, model: type[Any], ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.model = model
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, tuple[float, V]] = OrderedDict()
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
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


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

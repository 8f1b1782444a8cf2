"""Per-process caches of small, rarely changed reference data (incident categories, later SLA calendars).

A write path looks such data up on every request; reading it once per process instead saves a round trip
per write. A value is kept per database for at most `ttl` seconds: a change committed through this process
drops it at once (`invalidate_after_commit`), other processes see the change within `ttl`. Callers serve
only harmless answers from the cache and re-read the database before refusing anything (a category just
added elsewhere is not rejected).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

#: Every cache made, so tests can start each case from a cold process (`clear_all`).
_ALL: list[Cached[Any]] = []


class Cached(Generic[T]):
    """`load(session)`'s result per database, reloaded after `ttl` seconds or on invalidation."""

    def __init__(self, load: Callable[[Session], T], ttl: float = 5.0) -> None:
        self._load, self.ttl = load, ttl
        # Per engine, held weakly: a disposed database's values go with it (an id could be reused).
        self._values: weakref.WeakKeyDictionary[Any, tuple[float, T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, session: Session, *, fresh: bool = False) -> T:
        """The cached value for `session`'s database; `fresh` reloads it now."""
        if id(self) in session.info.get("cache_bypass", ()):
            return self._load(session)  # this transaction changed the data: never cache what it sees
        key = _database_key(session)
        now = time.monotonic()
        entry = self._values.get(key)
        if fresh or entry is None or now - entry[0] > self.ttl:
            value = self._load(session)
            with self._lock:
                self._values[key] = (now, value)
            return value
        return entry[1]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def invalidate_after_commit(self, session: Session) -> None:
        """`session` changed the data: it reads it uncached from now on, and the cached value is dropped
        when its transaction commits (a rolled-back change was never cached)."""
        session.info.setdefault("cache_bypass", set()).add(id(self))
        session.info.setdefault("after_commit", set()).add(self._committed)

    def _committed(self, _db: Any) -> None:
        self.clear()


def _database_key(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def clear_all() -> None:
    for cache in _ALL:
        cache.clear()

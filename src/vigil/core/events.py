"""Domain events: emitted inside the writer's transaction and delivered to subscribers as durable jobs."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from vigil.core.jobs import queue

_subscribers: dict[str, list[str]] = defaultdict(list)


def subscribe(event_type: type[Any], job_name: str) -> None:
    """Deliver every `event_type` emitted from now on to the job handler `job_name`."""
    if job_name not in _subscribers[event_type.__name__]:
        _subscribers[event_type.__name__].append(job_name)


def unsubscribe_all(job_name: str) -> None:
    """Stop delivering any event to `job_name` (tests that register a throwaway subscriber use this)."""
    for names in _subscribers.values():
        if job_name in names:
            names.remove(job_name)


def emit(session: Session, event: Any) -> int:
    """Enqueue one job per subscriber, in the caller's transaction; returns how many were enqueued."""
    payload = {"event": type(event).__name__, **_jsonable(dataclasses.asdict(event))}
    names = _subscribers.get(type(event).__name__, [])
    for name in names:
        queue.enqueue(session, name, payload)
    return len(names)


def emit_many(session: Session, events: list[Any]) -> int:
    """`emit` for many events at once: one INSERT for all their subscribers' jobs."""
    jobs = []
    for event in events:
        payload = {"event": type(event).__name__, **_jsonable(dataclasses.asdict(event))}
        jobs += [(name, payload) for name in _subscribers.get(type(event).__name__, [])]
    return queue.enqueue_many(session, jobs)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (int, float, bool, type(None), list, dict)) else str(v))
        for k, v in data.items()
    }

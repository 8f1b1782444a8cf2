"""Registers every domain's jobs and event subscribers; the app, the worker and the library call this."""

from __future__ import annotations

from vigil.auth import jobs as auth_jobs
from vigil.core import idempotency
from vigil.core.jobs import queue
from vigil.incidents import jobs as incident_jobs

MODULES = (auth_jobs, idempotency, incident_jobs)


def load() -> list[str]:
    """Names of the registered job handlers and periodic tasks (importing MODULES registered them)."""
    return sorted({*queue.HANDLERS, *queue.PERIODIC})

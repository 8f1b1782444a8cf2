"""Background upkeep for identity: forget expired sessions and old login attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from vigil.auth.service import sessions
from vigil.core.jobs.queue import periodic

PURGE = "auth.purge_sessions"


@periodic(every=timedelta(hours=1), name=PURGE)
def purge_sessions(session: Session) -> None:
    sessions.purge_expired(session)

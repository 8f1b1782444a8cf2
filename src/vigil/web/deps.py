"""FastAPI dependencies every adapter shares: the database, the posted form, the login redirect.

Who is acting (token, session, CSRF) is identity's business: see `vigil.auth.deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.core.db import Database, read_transactions

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page needs a logged-in user; the handler redirects to the login form."""


class RequestDatabase(Database):
    """The app's database as one request sees it: the caller is authenticated in a transaction that the
    route's first unit of work then continues and commits, so a request is one transaction."""

    def __init__(self, db: Database, request: Request) -> None:  # shares the app's engine and sessions
        self.engine, self.sessions, self._state = db.engine, db.sessions, request.state
        self._writes = request.method not in SAFE_METHODS
        # After-commit hooks see this object: a server's background sealer must be visible here too, or
        # every write would seal inline before its response goes out.
        self.background_sealer = getattr(db, "background_sealer", None)

    def begin_request(self) -> Session:
        """Open the request's transaction (for authentication); the first unit of work takes it over."""
        session = self.sessions()
        self._state.pending_session = session
        return session

    def end_request(self, failed: bool) -> None:
        """Settle the request's transaction if no unit of work took it over (the route did not need one)."""
        session: Session | None = getattr(self._state, "pending_session", None)
        if session is None:
            return
        self._state.pending_session = None
        with suppress(Exception):
            session.rollback() if failed else session.commit()
        session.close()

    @contextmanager
    def unit_of_work(self, session: Session | None = None) -> Iterator[Session]:
        pending: Session | None = getattr(self._state, "pending_session", None)
        if session is None and pending is not None:
            self._state.pending_session = None
            session = pending
        if self._writes and self.engine.dialect.name == "sqlite":
            # SQLite has one writer: a request that changes something authenticated its caller in a
            # reading transaction; it ends here, and the change runs in a short IMMEDIATE one, so the
            # writer slot is held for the change alone (not across authentication and thread hops).
            if session is not None:
                session.commit()
            read_transactions(False)
        with super().unit_of_work(session) as s:
            yield s


async def get_db(request: Request) -> RequestDatabase:
    # async: nothing here blocks, so it runs on the event loop instead of a hop to the thread pool
    db = RequestDatabase(request.app.state.db, request)
    if db.engine.dialect.name == "sqlite":
        read_transactions(True)  # readers run beside the writer; a change takes the slot (unit_of_work)
    return db


async def settle_request(request: Request) -> AsyncIterator[None]:
    """Settle the request's transaction after the route, if the route's unit of work did not take it over
    (it failed before, or needed none): rolled back on any error, committed otherwise.

    An async dependency, so that authenticating (a sync function, one hop to the thread pool) needs no
    second hop back for its clean-up; in the usual case there is nothing left to settle."""
    failed = True
    try:
        yield
        failed = False
    finally:
        RequestDatabase(request.app.state.db, request).end_request(failed)


async def read_form(request: Request) -> FormData:
    """The posted form, read in the event loop so the (sync) route itself runs in the thread pool."""
    return await request.form()


Db = Annotated[RequestDatabase, Depends(get_db)]
FormBody = Annotated[FormData, Depends(read_form)]

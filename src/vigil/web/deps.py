"""FastAPI dependencies every adapter shares: the database, the posted form, the login redirect.

Who is acting (token, session, CSRF) is identity's business: see `vigil.auth.deps`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from vigil.core.db import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page needs a logged-in user; the handler redirects to the login form."""


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def read_form(request: Request) -> FormData:
    """The posted form, read in the event loop so the (sync) route itself runs in the thread pool."""
    return await request.form()


Db = Annotated[Database, Depends(get_db)]
FormBody = Annotated[FormData, Depends(read_form)]

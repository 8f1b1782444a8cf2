"""FastAPI dependencies as Annotated aliases: the database and the acting user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vigil.auth import service as auth_service
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _actor(request: Request, db: Database, channel: Channel) -> Actor:
    # Until the identity issue lands every request acts as the bootstrap administrator; the server
    # refuses to listen anywhere but loopback meanwhile (see vigil.cli serve).
    with db.unit_of_work() as session:
        return auth_service.bootstrap_actor(session, channel, getattr(request.state, "request_id", None))


def get_api_actor(request: Request, db: Annotated[Database, Depends(get_db)]) -> Actor:
    return _actor(request, db, Channel.API)


def get_web_actor(request: Request, db: Annotated[Database, Depends(get_db)]) -> Actor:
    return _actor(request, db, Channel.WEB)


Db = Annotated[Database, Depends(get_db)]
ApiActor = Annotated[Actor, Depends(get_api_actor)]
WebActor = Annotated[Actor, Depends(get_web_actor)]

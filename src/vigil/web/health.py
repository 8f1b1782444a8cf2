"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from vigil import migrate
from vigil.web.deps import Db

router = APIRouter(prefix="/api/v1/health", tags=["health"])


@router.get("")
def get_health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Not ready"}})
def get_readiness(db: Db) -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    try:
        with db.unit_of_work() as session:
            session.execute(text("SELECT 1"))
            current, head = migrate.current_revision(session.connection()), migrate.head_revision()
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    body = {"status": "ok" if current == head else "migrations_pending", "revision": current, "head": head}
    return JSONResponse(body, status_code=200 if current == head else 503)

"""RFC 9457 problem+json for every API error; HTML error pages for the UI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from vigil.core.errors import VigilError

log = logging.getLogger("vigil.web")
PROBLEM = "application/problem+json"


def problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    rid = getattr(request.state, "request_id", None)
    if rid:
        body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(
            {"field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc), "message": err.get("msg", "")}
        )
    return out


def install(app: FastAPI, html_error: Any) -> None:
    """Register the handlers; `html_error(request, status, title, detail)` renders UI errors."""

    def respond(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
        if request.url.path.startswith("/api/") or request.url.path in ("/openapi.json",):
            return problem(request, status, title, detail, **extra)
        return html_error(request, status, title, detail)  # type: ignore[no-any-return]

    @app.exception_handler(VigilError)
    def _vigil(request: Request, exc: VigilError) -> Response:
        return respond(request, exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return respond(request, 422, "Invalid input", detail, errors=errors)

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return respond(request, exc.status_code, title, str(exc.detail))

    @app.exception_handler(StaleDataError)
    def _stale(request: Request, exc: StaleDataError) -> Response:
        return respond(
            request, 409, "Conflict", "the record was changed by someone else meanwhile; reload and retry"
        )

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error on %s: %s", request.url.path, exc.orig)
        return respond(request, 409, "Conflict", "the change conflicts with existing data; reload and retry")

    @app.exception_handler(OperationalError)
    def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable on %s: %s", request.url.path, type(exc.orig).__name__)
        return respond(request, 503, "Service unavailable", "the database is unavailable; retry shortly")

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return respond(request, 500, "Internal error", "an unexpected error occurred; it has been logged")

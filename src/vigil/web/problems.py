"""RFC 9457 problem+json for every API error; HTML error pages for the UI."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
HtmlError = Callable[[Request, int, str, str], Response]
TITLES = {
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for routers: each error code answered with problem+json."""
    return {code: {"description": TITLES[code], "content": {PROBLEM: {}}} for code in codes}


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


def _respond(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    """problem+json for the API; the UI's error page everywhere else."""
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return problem(request, status, title, detail, **extra)
    html_error: HtmlError = request.app.state.html_error
    return html_error(request, status, title, detail)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(
            {"field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc), "message": err.get("msg", "")}
        )
    return out


def _vigil(request: Request, exc: VigilError) -> Response:
    response = _respond(request, exc.status, exc.title, exc.detail, **exc.extra)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vigil"'
    return response


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    errors = _validation_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return _respond(request, 422, "Invalid input", detail, errors=errors)


def _http(request: Request, exc: HTTPException) -> Response:
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return _respond(request, exc.status_code, title, str(exc.detail))


def _stale(request: Request, exc: StaleDataError) -> Response:
    return _respond(
        request, 409, "Conflict", "the record was changed by someone else meanwhile; reload and retry"
    )


def _integrity(request: Request, exc: IntegrityError) -> Response:
    log.warning("integrity error on %s: %s", request.url.path, type(exc.orig).__name__)
    return _respond(request, 409, "Conflict", "the change conflicts with existing data; reload and retry")


def _operational(request: Request, exc: OperationalError) -> Response:
    log.error("database unavailable on %s: %s", request.url.path, type(exc.orig).__name__)
    return _respond(request, 503, "Service unavailable", "the database is unavailable; retry shortly")


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    return _respond(request, 500, "Internal error", "an unexpected error occurred; it has been logged")


HANDLERS: dict[type[Exception], Callable[..., Response]] = {
    VigilError: _vigil,
    RequestValidationError: _invalid,
    HTTPException: _http,
    StaleDataError: _stale,
    IntegrityError: _integrity,
    OperationalError: _operational,
    Exception: _unexpected,
}


def install(app: FastAPI, html_error: HtmlError) -> None:
    """Register the handlers; `html_error(request, status, title, detail)` renders UI errors."""
    app.state.html_error = html_error
    for exc_type, handler in HANDLERS.items():
        app.exception_handler(exc_type)(handler)

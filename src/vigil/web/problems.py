"""RFC 9457 problem+json for every API error; HTML error pages for the UI.

Unexpected exceptions are not handled here but by `web.edge`, so their answer keeps every header.
"""

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
from starlette.routing import Match

from vigil.core import metrics, validation
from vigil.core.errors import REQUEST_VALIDATION, VigilError

log = logging.getLogger("vigil.web")
PROBLEM = "application/problem+json"
HtmlError = Callable[[Request, int, str, str], Response]
TITLES = {
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
}


#: What any operation behind a token can answer: no or a bad token, a refused right, invalid input.
SECURED = (401, 403, 422)


def responses(*codes: int, public: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for routers: each error code answered with problem+json.

    Secured routers (the default) always declare 401, 403 and 422, so clients get typed errors for them.
    """
    every = sorted(set(codes) | (set() if public else set(SECURED)))
    return {code: {"description": TITLES[code], "content": {PROBLEM: {}}} for code in every}


def problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {
        "type": extra.pop("type", "about:blank"),
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


def respond(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    """problem+json for the API; the UI's error page everywhere else."""
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return problem(request, status, title, detail, **extra)
    html_error: HtmlError = request.app.state.html_error
    return html_error(request, status, title, detail)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The first part of a location is where the value came from (body, query, path): not a field name.
    errors = [e for e in exc.errors() if e.get("type") != "json_invalid"]
    out = [{"field": f, "message": m} for f, m in validation.field_errors(errors, skip=1)]
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character offset, not a field
            at = err.get("loc", ("body", "?"))[-1]
            detail = (err.get("ctx") or {}).get("error", "malformed")
            out.append(
                {"field": "body", "message": f"the body is not valid JSON ({detail}, at character {at})"}
            )
    return out


def route_template(scope: Any) -> str:
    """The matched route's path template (`/api/v1/incidents/{ref}`), never the raw path: a bounded
    metric label. "unmatched" when no route matched (static files, 404s)."""
    return str(getattr(scope.get("route"), "path", None) or "unmatched")


def _vigil(request: Request, exc: VigilError) -> Response:
    if exc.status == 422:
        metrics.validation_error("service", route_template(request.scope))
    extra = dict(exc.extra)
    if exc.status == 422 and exc.errors:
        extra["errors"] = exc.errors  # one shape for every 422
    if exc.type != "about:blank":
        extra.setdefault("type", exc.type)
    response = respond(request, exc.status, exc.title, exc.detail, **extra)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vigil"'
    return response


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    metrics.validation_error("request", route_template(request.scope))
    errors = _validation_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return respond(request, 422, "Invalid input", detail, errors=errors, type=REQUEST_VALIDATION)


def _http(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode (not UTF-8, say)
        metrics.validation_error("request", route_template(request.scope))
        errors = [{"field": "body", "message": "the request body is not valid UTF-8 JSON"}]
        detail = "the request body is not valid UTF-8 JSON"
        return respond(request, 422, "Invalid input", detail, errors=errors, type=REQUEST_VALIDATION)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    response = respond(request, exc.status_code, title, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette names only the first route's)."""
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


def _stale(request: Request, exc: StaleDataError) -> Response:
    return respond(
        request, 409, "Conflict", "the record was changed by someone else meanwhile; reload and retry"
    )


def _integrity(request: Request, exc: IntegrityError) -> Response:
    log.warning("integrity error on %s: %s", request.url.path, type(exc.orig).__name__)
    return respond(request, 409, "Conflict", "the change conflicts with existing data; reload and retry")


def _operational(request: Request, exc: OperationalError) -> Response:
    log.error("database unavailable on %s: %s", request.url.path, type(exc.orig).__name__)
    return respond(request, 503, "Service unavailable", "the database is unavailable; retry shortly")


HANDLERS: dict[type[Exception], Callable[..., Response]] = {
    VigilError: _vigil,
    RequestValidationError: _invalid,
    HTTPException: _http,
    StaleDataError: _stale,
    IntegrityError: _integrity,
    OperationalError: _operational,
}


def install(app: FastAPI, html_error: HtmlError) -> None:
    """Register the handlers; `html_error(request, status, title, detail)` renders UI errors."""
    app.state.html_error = html_error
    for exc_type, handler in HANDLERS.items():
        app.exception_handler(exc_type)(handler)

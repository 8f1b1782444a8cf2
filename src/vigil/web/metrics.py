"""GET /metrics (Prometheus text exposition, behind an optional scrape token) and the middleware that
times every HTTP request by its route template."""

from __future__ import annotations

import hmac
import time

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.core import clock, metrics
from vigil.core.config import Settings
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def get_metrics(request: Request, db: Db) -> Response:
    """Every metric; the gauges are read from the database now, so any server process answers alike."""
    if not _authorized(request):
        response = problems.problem(
            request, 401, "Authentication required", "a valid scrape token is required"
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="vigil-metrics"'
        return response
    with db.unit_of_work() as session:
        body, content_type = metrics.exposition(session, clock.now())
    return Response(body, media_type=content_type)


def _authorized(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    # Compared in constant time: the token is the only thing between the internet and the counters.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


class RequestTimer:
    """Pure ASGI middleware: observe each HTTP request's duration by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering (the edge answers 500)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics.http_request(
                scope["method"], problems.route_template(scope), status, time.perf_counter() - started
            )

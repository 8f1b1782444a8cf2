"""The FastAPI application: every registered domain's routers, error handling, the edge, static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import fastapi_offline
from fastapi import Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from vigil import domains
from vigil.auth import policy as auth_policy
from vigil.auth.deps import WebActor
from vigil.auth.settings import AuthSettings, get_auth_settings
from vigil.core import auditseal, registry
from vigil.core.config import Settings, get_settings
from vigil.core.db import Database
from vigil.version import __version__
from vigil.web import contract, edge, health, metrics, problems, ratelimit
from vigil.web.deps import LoginRequired
from vigil.web.templating import render_error

STATIC = Path(__file__).parent / "web" / "static"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"


def create_app(
    db: Database | None = None,
    settings: Settings | None = None,
    *,
    auth_settings: AuthSettings | None = None,
    background_sealer: bool | None = None,
) -> FastAPI:
    """The app on `db`; settings default to the environment's (tests pass their own).

    `background_sealer` (default: when the app opens its own database, as `vigil serve --workers` does)
    seals audit records in a thread while the app runs, instead of after each write in the request.
    """
    settings = settings or get_settings()
    domains.load()
    database = db or Database(settings.database_url)
    sealer = (
        auditseal.BackgroundSealer(database)
        if (background_sealer is None and db is None) or background_sealer
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sealer is not None:
            sealer.start()
        try:
            yield
        finally:
            if sealer is not None:
                await run_in_threadpool(sealer.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="Vigil",
        version=__version__,
        description="Self-hosted ITIL 4 service management. Errors are RFC 9457 problem+json.",
        docs_url=None,  # served below from local assets: a self-hosted tool loads nothing from a CDN
        redoc_url=None,
        dependencies=[Depends(edge.reject_control_characters)],
        # Readable operation ids for generated clients: `acknowledge_incident`, not `..._ref_acknowledge_post`.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.db = database
    app.state.settings = settings
    app.state.auth_settings = auth_settings or get_auth_settings()
    problems.install(app, render_error)
    app.exception_handler(LoginRequired)(_to_login)
    app.add_middleware(
        ratelimit.RateLimits,
        per_token=settings.rate_limit_per_token,
        per_address=settings.rate_limit_per_address,
    )
    app.add_middleware(metrics.RequestTimer)  # inside the edge: it sees the edge's last-resort 500 as one
    app.add_middleware(edge.Edge, trusted_proxies=settings.trusted_proxies)  # outermost
    app.include_router(health.router)
    app.include_router(metrics.router)
    for part in ("api", "ui"):  # every domain's REST endpoints, then its pages
        for router in registry.objects(part):
            app.include_router(router)
    # Swagger UI's files (5.x) come from the fastapi-offline package (a dependency), not from the internet;
    # mounted before /static, which would otherwise answer for its paths.
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    contract.install(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Vigil API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/", include_in_schema=False)
    def home(actor: WebActor) -> RedirectResponse:
        # Staff start at the queue; requesters at their self-service portal (docs/portal.md).
        return RedirectResponse("/incidents" if auth_policy.is_staff(actor) else "/portal", status_code=303)

    return app


def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

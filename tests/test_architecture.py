"""Architecture rules a test can check: routes are sync (no blocking work on the event loop), and the
layering contracts in pyproject.toml hold (the same check `make lint` runs)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from fastapi.routing import APIRoute

from vigil.app import create_app
from vigil.core import registry
from vigil.core.db import Database
from vigil.web import health

ROOT = Path(__file__).resolve().parents[1]


def test_every_route_is_a_sync_function() -> None:
    """Routes do database work and password hashing: as `def` they run in the thread pool."""
    app = create_app(Database("sqlite://"))  # registers every domain
    routers = [health.router, *registry.objects("api"), *registry.objects("ui")]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    routes += [r for r in app.routes if isinstance(r, APIRoute)]
    assert len(routes) > 30
    async_routes = [
        f"{sorted(r.methods)} {r.path}" for r in routes if inspect.iscoroutinefunction(r.endpoint)
    ]
    assert async_routes == []


def test_import_layers_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_operation_ids_are_readable_and_unique() -> None:
    schema = create_app(Database("sqlite://")).openapi()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"acknowledge_incident", "list_incidents", "create_token", "get_readiness"} <= set(ids)
    assert all("api_v1" not in i and "__" not in i for i in ids), ids

"""Browser tests: a real Vigil server on a fresh, committed database, driven by headless Debian Chromium."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tests.dbutil import BACKENDS, fresh_database
from vigil import migrate
from vigil.core.db import Database
from vigil.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class LiveServer:
    url: str
    backend: str


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = "Debian chromium not installed at /usr/bin/chromium"
        if os.environ.get("VIGIL_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=BACKENDS)
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """Vigil served by uvicorn in a thread, on a free loopback port, over a new migrated database."""
    with fresh_database(request.param, tmp_path) as url:
        migrate.upgrade(url)
        db = Database(url)
        # Bound and listening before the thread starts: early requests wait in the backlog, no polling.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield LiveServer(url=f"http://127.0.0.1:{sock.getsockname()[1]}", backend=request.param)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()
            db.dispose()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def shoot(page: Page, live_server: LiveServer, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`shoot(name)` saves a full-page screenshot to test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.path.stem.removeprefix('test_')}-{live_server.backend}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

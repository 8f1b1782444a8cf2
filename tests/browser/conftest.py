"""Browser tests: a real Vigil server on a fresh, committed database, driven by headless Debian Chromium.

Each server starts with a few people who can log in (`live_server.people`); `log_in()` drives the real form.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pydantic import SecretStr

from tests.dbutil import BACKENDS, fresh_database
from vigil import migrate
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.core.db import Database

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
PASSWORD = "Browser-Tests-2026!"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: Role
    password: str = PASSWORD


#: Who exists on every live server, by key.
PEOPLE = {
    "admin": Person("ada.admin@example.com", "Ada Admin", Role.ADMIN),
    "agent": Person("sam.agent@example.com", "Sam Agent", Role.AGENT),
    "requester": Person("rita.requester@example.com", "Rita Requester", Role.REQUESTER),
    "other_requester": Person("otto.other@example.com", "Otto Other", Role.REQUESTER),
}


@dataclass(frozen=True)
class LiveServer:
    url: str
    backend: str
    #: The server's database, for arranging data through the services.
    db: Database
    people: dict[str, Person]


def _create_people(db: Database) -> None:
    with db.unit_of_work() as session:
        for person in PEOPLE.values():
            data = UserCreate(
                email=person.email,
                display_name=person.name,
                role=person.role,
                password=SecretStr(person.password),
            )
            auth_service.create_user(session=session, actor=auth_service.system_actor(), data=data)


def log_in(page: Page, base: str, email: str, password: str) -> None:
    """Fill and submit the real login form; stays on the current login page so its `next` is kept."""
    if "/login" not in page.url:
        page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def log_in_as(page: Page, server: LiveServer, who: str) -> Person:
    """Log in as one of `server.people` and check the header names them."""
    person = server.people[who]
    log_in(page, server.url, person.email, person.password)
    expect(page.locator("header.topbar .who")).to_have_text(person.name)
    return person


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
        _create_people(db)
        # Bound and listening before the thread starts: early requests wait in the backlog, no polling.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield LiveServer(
                url=f"http://127.0.0.1:{sock.getsockname()[1]}", backend=request.param, db=db, people=PEOPLE
            )
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()
            db.dispose()


@contextmanager
def browser_page(
    browser: Browser, server: LiveServer, width: int = 1280, height: int = 900
) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) on `server`, with a viewport of that size."""
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    with browser_page(browser, live_server) as p:
        yield p


def save_screenshot(page: Page, path: Path, *, full_page: bool = True, attempts: int = 3) -> Path:
    """Save a screenshot for a person to look at, retrying Chromium's transient capture failure.

    Under load headless Chromium sometimes answers `Page.captureScreenshot` with "Unable to capture
    screenshot" (no frame ready yet); the picture is an artifact, not the thing under test, so it is tried
    again after the next frames instead of failing the test. Any other error is raised at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        try:
            page.screenshot(path=str(path), full_page=full_page)
            return path
        except PlaywrightError as error:
            if "Unable to capture screenshot" not in str(error) or attempt == attempts - 1:
                raise
            page.wait_for_timeout(250 * (attempt + 1))
    return path


@pytest.fixture
def shoot(page: Page, live_server: LiveServer, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`shoot(name)` saves a full-page screenshot to test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.path.stem.removeprefix('test_')}-{live_server.backend}-{name}.png"
        return save_screenshot(page, path)

    return take

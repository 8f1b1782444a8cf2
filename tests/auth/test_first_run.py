"""First run: `vigil serve` on an empty database creates one administrator and prints its password once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.dbutil import BACKENDS, fresh_database
from tests.procs import vigil_serve
from vigil import migrate


def _login(base: str, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        form = c.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token
        return c.post("/login", data={"email": email, "password": password, "login_csrf": token.group(1)})


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_admin_password_printed_once_and_works(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as server:
            printed = "\n".join(server.output)
            assert "Created the first administrator: admin@vigil.example" in printed
            found = re.search(r"Its password, shown this once: (\S+)", printed)
            assert found
            assert _login(server.url, "admin@vigil.example", "guess guess guess").status_code == 401
            assert _login(server.url, "admin@vigil.example", found.group(1)).status_code == 303
        with vigil_serve(url) as again:
            assert "administrator" not in "\n".join(again.output), "no second admin, no second password"


def test_admin_password_from_the_environment(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(
            url, VIGIL_ADMIN_PASSWORD="from the environment", VIGIL_ADMIN_EMAIL="ops@example.com"
        ) as s:
            assert "Created the first administrator: ops@example.com" in s.output[0]
            assert not any("shown this once" in line for line in s.output)
            assert _login(s.url, "ops@example.com", "from the environment").status_code == 303

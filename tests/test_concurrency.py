"""Two API processes on one database, writing at once: unique increasing numbers and no lost writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.dbutil import BACKENDS, fresh_database
from tests.procs import vigil_serve
from vigil import migrate
from vigil.auth import service as auth_service
from vigil.auth.schemas import TokenCreate
from vigil.core.actor import Channel
from vigil.core.db import Database


def mint_token(url: str) -> str:
    """A write token of the administrator the first server created (as `vigil token create` would)."""
    with Database(url).unit_of_work() as s:
        admin = auth_service.operator_actor(s, Channel.CLI)
        _, raw = auth_service.tokens.create(
            session=s, actor=admin, data=TokenCreate(name="load", scope="write", user="admin@vigil.example")
        )
    return raw


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_create_and_update_concurrently(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as first, vigil_serve(url) as second:
            a, b = first.url, second.url
            bases = [a, b]
            token = mint_token(url)

            def create(i: int) -> str:
                with httpx.Client(base_url=bases[i % 2], timeout=60, headers=auth(token)) as c:
                    r = c.post("/api/v1/incidents", json={"title": f"concurrent {i}"})
                    assert r.status_code == 201, r.text
                    return str(r.json()["number"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                numbers = list(pool.map(create, range(80)))
            assert len(set(numbers)) == 80, "duplicate numbers"
            # No create failed, so nothing was rolled back: the sequence handed out exactly 1..80.
            assert sorted(int(n[4:]) for n in numbers) == list(range(1, 81)), "numbers skipped or repeated"

            targets = numbers[:10]

            def edit(job: tuple[int, str]) -> None:
                i, number = job
                field = "root_cause" if i % 2 else "description"
                with httpx.Client(base_url=bases[i % 2], timeout=60, headers=auth(token)) as c:
                    r = c.patch(f"/api/v1/incidents/{number}", json={field: f"{field} by {i % 2}"})
                    assert r.status_code == 200, r.text
                    r = c.post(f"/api/v1/incidents/{number}/comments", json={"body": f"note {i}"})
                    assert r.status_code == 201, r.text

            jobs = [(i, n) for n in targets for i in range(2)]
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(edit, jobs))

            def acknowledge(i: int) -> int:
                with httpx.Client(base_url=bases[i % 2], timeout=60, headers=auth(token)) as c:
                    return c.post(f"/api/v1/incidents/{numbers[-1]}/acknowledge").status_code

            with ThreadPoolExecutor(max_workers=4) as pool:
                codes = sorted(pool.map(acknowledge, range(4)))
            assert codes == [200, 409, 409, 409], "exactly one acknowledgement wins; the rest are refused"

            with httpx.Client(base_url=a, timeout=60, headers=auth(token)) as c:
                for number in targets:
                    got = c.get(f"/api/v1/incidents/{number}").json()
                    assert got["description"] == "description by 0" and got["root_cause"] == "root_cause by 1"
                    comments = [
                        e
                        for e in c.get(f"/api/v1/incidents/{number}/timeline").json()["items"]
                        if e["kind"] == "comment"
                    ]
                    assert len(comments) == 2, "a concurrent comment was lost"
                listed, cursor = [], None
                while True:
                    page = c.get(
                        "/api/v1/incidents", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
                    ).json()
                    listed += page["items"]
                    cursor = page["next_cursor"]
                    if not cursor:
                        break
                assert len(listed) == 80


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_with_several_worker_processes(backend: str, tmp_path: Path) -> None:
    """`vigil serve --workers 2`: two processes answer on one port, and creates through both are unique."""
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url, "--workers", "2") as server:
            token = mint_token(url)  # the administrator the server created on start
            with httpx.Client(base_url=server.url, timeout=60, headers=auth(token)) as c:
                numbers = {
                    c.post("/api/v1/incidents", json={"title": f"w{i}"}).json()["number"] for i in range(10)
                }
        assert len(numbers) == 10

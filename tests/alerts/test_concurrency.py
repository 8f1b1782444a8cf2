"""Concurrent deliveries of one firing alert to two real servers make exactly one incident: the unique
open group key decides, not a Python check."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.alerts.live import setup
from tests.dbutil import BACKENDS, fresh_database
from tests.factories.alerts import am_alert, am_payload, body
from tests.procs import vigil_serve
from vigil import migrate


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_deliveries_make_one_incident(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as first, vigil_serve(url) as second:
            admin_token, token = setup(url)
            bases = [first.url, second.url]
            # Four groups, each delivered 12 times at once (with a second alert joining half the time).
            payloads = [
                body(am_payload(am_alert(instance=f"h{i % 4}"), *([am_alert(instance=f"extra{i % 4}")] if i % 2 else []),
                                group_key=f"group-{i % 4}"))
                for i in range(48)
            ]  # fmt: skip

            def post(i: int) -> list[str]:
                with httpx.Client(base_url=bases[i % 2], timeout=60) as c:
                    r = c.post(
                        "/api/v1/integrations/alertmanager/prod-am",
                        content=payloads[i],
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    )
                    assert r.status_code == 202, r.text
                    assert r.json()["status"] == "processed", r.text
                    return list(r.json()["incidents"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(post, range(48)))
            per_group = {i % 4: set() for i in range(48)}  # type: dict[int, set[str]]
            for i, numbers in enumerate(answers):
                per_group[i % 4] |= set(numbers)
            assert all(len(n) == 1 for n in per_group.values()), per_group
            with httpx.Client(base_url=first.url, headers={"Authorization": f"Bearer {admin_token}"}) as c:
                incidents = c.get("/api/v1/incidents", params={"limit": 100}).json()["items"]
                assert len(incidents) == 4
                alerts = c.get("/api/v1/alerts", params={"limit": 200}).json()["items"]
            assert sum(a["count"] for a in alerts) == 48 + 24
            assert len(alerts) == 6  # a host per group, and the extra alert of groups 1 and 3

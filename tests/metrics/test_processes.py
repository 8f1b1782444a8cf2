"""Real `vigil serve` processes: counters add up across processes sharing VIGIL_METRICS_DIR, and the
exposition of a running server holds every metric the Prometheus rules and the Grafana dashboard use."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.dbutil import BACKENDS, fresh_database
from tests.metrics import deployment
from tests.metrics.scrape import names, value
from tests.procs import vigil_serve
from tests.test_concurrency import auth, mint_token
from vigil import migrate


def _create(base: str, token: str, n: int) -> None:
    with httpx.Client(base_url=base, timeout=60, headers=auth(token)) as c:
        for i in range(n):
            r = c.post("/api/v1/incidents", json={"title": f"from {base} {i}"})
            assert r.status_code == 201, r.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_add_up_in_a_shared_metrics_dir(backend: str, tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {"VIGIL_METRICS_DIR": str(shared), "VIGIL_METRICS_TOKEN": "scrape-me"}
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url, **env) as first, vigil_serve(url, **env) as second:
            token = mint_token(url)
            _create(first.url, token, 3)
            _create(second.url, token, 2)
            scraped = {}
            for server in (first, second):
                assert httpx.get(f"{server.url}/metrics", timeout=30).status_code == 401
                r = httpx.get(f"{server.url}/metrics", headers=auth("scrape-me"), timeout=30)
                assert r.status_code == 200, r.text
                scraped[server.url] = r.text
    for text in scraped.values():  # whichever process answers, the sum over both
        assert value(text, "itsm_ticket_creation_total", record_type="incident") == 5
        assert value(text, "itsm_ticket_creation_duration_seconds_count") == 5
        assert value(text, "itsm_open_incidents", status="open") == 5  # read from the database
    assert len(list(shared.glob("*.db"))) >= 2, "each process writes its own files"


@pytest.mark.parametrize("backend", BACKENDS[:1])
def test_the_rules_and_dashboard_use_only_metrics_vigil_exposes(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as server:
            text = httpx.get(f"{server.url}/metrics", timeout=30).text
    exposed = names(text)
    used = deployment.rule_metrics() | deployment.dashboard_metrics()
    assert used, "no metric found in the rules or the dashboard"
    assert used <= exposed, f"used but not exposed: {sorted(used - exposed)}"

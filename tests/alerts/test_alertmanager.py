"""The real thing: Debian's prometheus-alertmanager, on loopback, notifies a real `vigil serve` through
a webhook receiver with `http_config.authorization` (repeat interval 1s). Repeated (and concurrent)
notifications of one firing alert make exactly one incident; the resolve notification resolves it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.live import setup
from tests.dbutil import BACKENDS, fresh_database
from tests.procs import free_port, vigil_serve
from vigil import migrate

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
INTAKE = "/api/v1/integrations/alertmanager/prod-am"


def _require_binary() -> str:
    if BINARY is None:
        message = (
            "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager); "
            "the real Alertmanager intake test cannot run"
        )
        if os.environ.get("VIGIL_REQUIRE_ALERTMANAGER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return BINARY


CONFIG = """\
route:
  receiver: vigil
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1s
receivers:
  - name: vigil
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@contextmanager
def alertmanager(tmp: Path, vigil_url: str, token: str) -> Iterator[str]:
    binary = _require_binary()
    config = tmp / "alertmanager.yml"
    config.write_text(CONFIG.format(url=vigil_url + INTAKE, token=token))
    port = free_port()
    log = (tmp / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _ready(base), f"alertmanager did not start: {(tmp / 'alertmanager.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(check: Callable[[], Any], failure: str, timeout: float = 45.0) -> Any:
    """Poll an outside process's state (its own timers run the show) until `check` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(failure)


def _alert(ends: datetime) -> list[dict[str, Any]]:
    return [
        {
            "labels": {"alertname": "HostDown", "severity": "critical", "instance": "db1:9100"},
            "annotations": {"summary": "db1 is down", "runbook_url": "https://runbooks.example/host-down"},
            "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "endsAt": ends.isoformat(),
            "generatorURL": "http://prometheus.example/graph",
        }
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_alertmanager_notifications_make_one_incident_and_resolve_it(backend: str, tmp_path: Path) -> None:
    _require_binary()
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as server:
            admin_token, token = setup(url)
            vigil = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
            )
            with alertmanager(tmp_path, server.url, token) as am:
                r = httpx.post(f"{am}/api/v2/alerts", json=_alert(datetime.now(UTC) + timedelta(hours=1)))
                assert r.status_code == 200, r.text

                def deliveries(status: str = "processed") -> list[dict[str, Any]]:
                    items: list[dict[str, Any]] = vigil.get(
                        "/api/v1/alert-deliveries", params={"status": status}
                    ).json()["items"]
                    return items

                # Alertmanager repeats the notification every second: wait for several deliveries.
                _until(lambda: len(deliveries()) >= 3, "Alertmanager did not deliver the alert 3 times")
                first = deliveries()[-1]
                assert first["alerts"] == 1 and first["attempts"] == 1
                incidents = vigil.get("/api/v1/incidents").json()["items"]
                assert len(incidents) == 1
                incident = incidents[0]
                assert incident["priority"] == "P1" and incident["title"] == "db1 is down"
                alert = vigil.get("/api/v1/alerts").json()["items"][0]
                assert alert["incident"] == incident["number"] and alert["count"] >= 3
                assert alert["fingerprint"] and alert["labels"]["instance"] == "db1:9100"

                # Resolve it: Alertmanager sends the resolved notification.
                r = httpx.post(f"{am}/api/v2/alerts", json=_alert(datetime.now(UTC) - timedelta(seconds=1)))
                assert r.status_code == 200, r.text

                def resolved() -> bool:
                    got = vigil.get(f"/api/v1/incidents/{incident['number']}").json()
                    return bool(got["status"] == "resolved")

                _until(resolved, "the resolve notification did not resolve the incident")
            assert deliveries("failed") == []
            assert len(vigil.get("/api/v1/incidents").json()["items"]) == 1
            alert = vigil.get("/api/v1/alerts").json()["items"][0]
            assert alert["status"] == "resolved" and alert["group_status"] == "resolved"
            vigil.close()


def test_concurrent_copies_of_one_notification_make_one_incident(tmp_path: Path) -> None:
    """What an HA pair of Alertmanagers does: the same notification at once, many times."""
    backend = BACKENDS[-1]
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with vigil_serve(url) as server:
            admin_token, token = setup(url)
            payload = {
                "version": "4", "groupKey": '{}:{alertname="HostDown"}', "status": "firing", "receiver": "vigil",
                "groupLabels": {"alertname": "HostDown"}, "commonLabels": {}, "commonAnnotations": {},
                "externalURL": "http://127.0.0.1:9093", "truncatedAlerts": 0,
                "alerts": [{"status": "firing", "labels": {"alertname": "HostDown", "severity": "critical"},
                            "annotations": {}, "startsAt": "2026-12-07T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "", "fingerprint": "4f1a2b3c4d5e6f70"}],
            }  # fmt: skip

            def post(_: int) -> list[str]:
                r = httpx.post(
                    server.url + INTAKE, json=payload, headers={"Authorization": f"Bearer {token}"}
                )
                assert r.status_code == 202, r.text
                return list(r.json()["incidents"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                numbers = {n for answer in pool.map(post, range(32)) for n in answer}
            assert len(numbers) == 1
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}) as c:
                assert len(c.get("/api/v1/incidents").json()["items"]) == 1
                assert c.get("/api/v1/alerts").json()["items"][0]["count"] == 32

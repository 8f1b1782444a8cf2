"""deploy/: the Prometheus rules pass `promtool check rules` and their unit tests, the scrape config is
valid, and the Grafana dashboard is a well-formed, provisionable dashboard over Vigil's own metrics."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from tests.metrics import deployment
from tests.metrics.scrape import names
from vigil.core import metrics


def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    message = "promtool not installed (Debian: apt-get install prometheus): the rules are not checked"
    if os.environ.get("VIGIL_REQUIRE_PROMTOOL") == "1":
        pytest.fail(message + ", but VIGIL_REQUIRE_PROMTOOL=1")
    pytest.skip(message)


def run(*args: str) -> None:
    done = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_checks_the_rules() -> None:
    run("check", "rules", str(deployment.RULES))


def test_the_rules_unit_tests_pass() -> None:
    # promtool resolves rule_files relative to the test file itself.
    run("test", "rules", str(deployment.RULES_TEST))


def test_the_scrape_config_is_valid() -> None:
    run("check", "config", "--syntax-only", str(deployment.SCRAPE_CONFIG))


def test_the_scrape_config_sends_the_token_and_loads_the_rules() -> None:
    config = yaml.safe_load(deployment.SCRAPE_CONFIG.read_text())
    assert config["rule_files"] == [deployment.RULES.name]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "vigil"]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"


def test_every_rule_alerts_with_a_severity_and_a_summary() -> None:
    alerts = deployment.rules()
    assert {"VigilSlaBreachRateHigh", "VigilJobBacklogDeep", "VigilJobBacklogStale"} <= {
        r["alert"] for r in alerts
    }
    assert "VigilAlertIntakeFailing" in {r["alert"] for r in alerts}
    for rule in alerts:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_the_dashboard_is_well_formed() -> None:
    board = deployment.dashboard()
    assert board["uid"] == "itsm-analytics" and board["title"] == "ITSM analytics"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    (variable,) = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${" + variable["name"] + "}", panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["datasource"]["uid"] == panel["datasource"]["uid"] for t in panel["targets"])
    titles = " ".join(p["title"].lower() for p in board["panels"])
    for wanted in (
        "ticket volume",
        "creation latency",
        "retries",
        "validation errors",
        "time to acknowledge",
        "time to resolve",
        "sla compliance",
        "open incidents by priority",
        "job queue",
    ):
        assert wanted in titles, wanted


def test_the_dashboard_and_rules_use_only_metrics_vigil_exposes(session: Session) -> None:
    """Against the exposition of this process (a live server's is checked in test_processes.py)."""
    body, _ = metrics.exposition(session, datetime.now(UTC))
    exposed = names(body.decode())
    for used, where in ((deployment.dashboard_metrics(), "dashboard"), (deployment.rule_metrics(), "rules")):
        assert used and used <= exposed, f"{where} uses {sorted(used - exposed)}"


def test_grafana_provisioning_files() -> None:
    (dashboards,) = (deployment.PROVISIONING / "dashboards").glob("*.yml")
    provider = yaml.safe_load(dashboards.read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"]
    (sources,) = (deployment.PROVISIONING / "datasources").glob("*.yml")
    source = yaml.safe_load(sources.read_text())["datasources"][0]
    assert source["type"] == "prometheus" and source["url"].startswith("http")


def test_without_promtool_the_checks_skip_unless_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no promtool on the PATH
    monkeypatch.delenv("VIGIL_REQUIRE_PROMTOOL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="promtool not installed"):
        promtool()
    monkeypatch.setenv("VIGIL_REQUIRE_PROMTOOL", "1")
    with pytest.raises(pytest.fail.Exception, match="VIGIL_REQUIRE_PROMTOOL=1"):
        promtool()

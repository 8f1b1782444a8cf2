"""`vigil integration ...` and `vigil alerts ...` on a committed database (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clihelp import run
from tests.factories.alerts import am_alert, am_payload, body
from vigil.alerts import payloads, service
from vigil.core.db import Database


def test_integration_and_alerts_commands(cli_db: list[str], tmp_path: Path) -> None:
    code, out = run("integration", "create", "prod-am", "--kind", "alertmanager", "--json", *cli_db)
    assert code == 0, out
    made = json.loads(out)
    assert made["token"].startswith("vgla_") and made["url"] == "/api/v1/integrations/alertmanager/prod-am"
    code, out = run("integration", "list", *cli_db)
    assert code == 0 and "prod-am" in out
    code, out = run("integration", "show", "prod-am", "--json", *cli_db)
    assert code == 0 and "token" not in json.loads(out)
    example = tmp_path / "example.json"
    example.write_text(json.dumps(am_payload(am_alert(severity="warning"))))
    code, out = run("integration", "dry-run", "prod-am", str(example), "--json", *cli_db)
    assert code == 0 and json.loads(out)["alerts"][0]["opens_incident"] is False
    code, out = run("integration", "rotate-token", "prod-am", *cli_db)
    assert code == 0 and "vgla_" in out
    code, out = run("integration", "show", "nope", *cli_db)
    assert code != 0 and "not found" in out

    db = Database(cli_db[1])
    try:
        with db.unit_of_work() as s:
            raw = body(am_payload(am_alert("DiskFilling", severity="warning")))
            integration = service.integrations.load(s, "prod-am")
            service.intake.receive(s, integration, raw, payloads.parse("alertmanager", raw))
    finally:
        db.dispose()
    code, out = run("alerts", "list", "--status", "firing", "--json", *cli_db)
    assert code == 0, out
    (alert,) = json.loads(out)["items"]
    code, out = run("alerts", "list", *cli_db)
    assert code == 0 and "DiskFilling" in out
    code, out = run("alerts", "show", alert["id"], *cli_db)
    assert code == 0 and "fingerprint" in out
    code, out = run("alerts", "promote", alert["id"], *cli_db)
    assert code == 0 and "opened INC-" in out
    code, out = run("alerts", "promote", alert["id"], *cli_db)
    assert code != 0 and "already has incident" in out
    code, out = run("alerts", "show", "not-a-uuid", *cli_db)
    assert code != 0 and "not an alert id" in out

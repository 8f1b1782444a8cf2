"""`v.integrations` and `v.alerts` over both transports: create an integration, dry-run a payload,
list a stored alert and promote it."""

from __future__ import annotations

import pytest

from tests.factories.alerts import am_alert, am_payload, body
from tests.library.conftest import Connector, unique
from vigil.alerts import payloads
from vigil.alerts import service as alerts_service
from vigil.alerts.service.integrations import load
from vigil.core.db import Database
from vigil.core.errors import Conflict, Forbidden


def test_integrations_and_alerts_through_the_library(connect: Connector, database: str) -> None:
    v = connect()
    name = unique("am").replace(" ", "-")[:60]
    made = v.integrations.create(name=name, kind="alertmanager", recovery="note")
    assert made.token.startswith("vgla_") and name in [i.name for i in v.integrations.list()]
    assert v.integrations.update(name, rules={"create_up_to": "P1"}).rules.create_up_to == "P1"
    rotated = v.integrations.rotate_token(name)
    assert rotated.token != made.token
    example = am_payload(am_alert(severity="sev2"))
    (dry,) = v.integrations.dry_run(name, example).alerts
    assert dry.priority == "P2" and dry.opens_incident is False  # create_up_to is P1 now
    db = Database(database)
    try:
        with db.unit_of_work() as s:
            raw = body(am_payload(am_alert(unique("Disk"), severity="sev2"), group_key=unique("g")))
            alerts_service.intake.receive(s, load(s, name), raw, payloads.parse("alertmanager", raw))
    finally:
        db.dispose()
    (alert,) = v.alerts.list(integration=name).items
    assert alert.incident is None and v.alerts.get(alert.id).fingerprint == alert.fingerprint
    promoted = v.alerts.promote(alert.id)
    assert promoted.incident.startswith("INC-") and v.alerts.get(alert.id).incident == promoted.incident
    with pytest.raises(Conflict):
        v.alerts.promote(alert.id)
    requester = connect(connect.user("requester"))
    with pytest.raises(Forbidden):
        requester.alerts.list()

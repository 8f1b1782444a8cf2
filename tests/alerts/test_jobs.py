"""The worker retries a failed delivery when its backoff is due, and leaves a processed one alone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.factories.alerts import am_alert, am_payload, body
from vigil.alerts import payloads, service
from vigil.alerts.models import AlertDelivery, Integration
from vigil.core.db import Database
from vigil.core.jobs import worker
from vigil.incidents.models import Incident


def test_the_worker_retries_a_failed_delivery_after_its_backoff(
    db: Database,
    session: Session,
    integration: Integration,
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = body(am_payload(am_alert()))

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("lock timeout")

    worker.run_pending(db)  # whatever setting up left queued
    monkeypatch.setattr(service.intake.groups, "claim_groups", broken)
    delivery, _ = service.intake.receive(session, integration, raw, payloads.parse("alertmanager", raw))
    monkeypatch.undo()
    worker.run_pending(db)
    session.expire_all()
    assert session.get(AlertDelivery, delivery.id).status == "failed"  # type: ignore[union-attr]
    frozen_clock.advance(seconds=31)  # the first retry waits 30 s
    assert worker.run_pending(db) >= 1
    session.expire_all()
    stored = session.get(AlertDelivery, delivery.id)
    assert stored is not None and stored.status == "processed" and stored.attempts == 2
    assert session.scalar(select(func.count()).select_from(Incident)) == 1

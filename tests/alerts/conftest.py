"""Alert intake fixtures: an Alertmanager integration and a helper that delivers a body to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.alerts import body, make_integration
from vigil.alerts import payloads, service
from vigil.alerts.models import Integration
from vigil.alerts.service.intake import Processed
from vigil.core.actor import Actor

Deliver = Callable[..., Processed]


@pytest.fixture
def integration(session: Session, admin: Actor) -> Integration:
    return make_integration(session, admin)[0]


@pytest.fixture
def deliver(session: Session) -> Deliver:
    """Parse and receive a document as the intake endpoint does (without HTTP)."""

    def run(integration: Integration, document: Any) -> Processed:
        raw = body(document)
        _, done = service.intake.receive(session, integration, raw, payloads.parse(integration.kind, raw))
        return done

    return run

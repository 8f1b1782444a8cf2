"""Helpers for intake tests against a real `vigil serve`: an admin token and an integration, minted in
the server's database as the CLI would."""

from __future__ import annotations

from vigil.alerts import service
from vigil.alerts.schemas import IntegrationCreate
from vigil.auth import service as auth_service
from vigil.auth.schemas import TokenCreate
from vigil.core.actor import Channel
from vigil.core.db import Database


def setup(url: str, name: str = "prod-am", kind: str = "alertmanager") -> tuple[str, str]:
    """(an admin-scope token of the first administrator, the new integration's token)."""
    db = Database(url)
    try:
        with db.unit_of_work() as s:
            admin = auth_service.operator_actor(s, Channel.CLI)
            _, user_token = auth_service.tokens.create(
                session=s,
                actor=admin,
                data=TokenCreate(name="alerts", scope="admin", user="admin@vigil.example"),
            )
            created = service.integrations.create(
                session=s,
                actor=admin,
                data=IntegrationCreate(name=name, kind=kind),  # type: ignore[arg-type]
            )
        return user_token, created.token
    finally:
        db.dispose()

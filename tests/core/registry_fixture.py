"""A throwaway domain for the registry tests: one endpoint, one CLI group, one event subscriber."""

from __future__ import annotations

from typing import Any

import typer
from fastapi import APIRouter
from sqlalchemy.orm import Session

from vigil.core.jobs.queue import job
from vigil.core.registry import Domain, Subscription

SEEN: list[dict[str, Any]] = []

router = APIRouter(prefix="/api/v1/registry-probe", tags=["probe"])


@router.get("", include_in_schema=False)
def probe() -> dict[str, str]:
    return {"domain": "probe"}


cli = typer.Typer(help="A probe.")


@cli.command()
def hello() -> None:
    typer.echo("hello from the probe domain")


@job("probe.on_incident_created")
def on_incident_created(session: Session, payload: dict[str, Any]) -> None:
    SEEN.append(payload)


DOMAIN = Domain(
    name="probe",
    api=("tests.core.registry_fixture:router",),
    cli=(("probe", "tests.core.registry_fixture:cli", "A probe domain's command."),),
    jobs=("tests.core.registry_fixture",),
    subscriptions=(Subscription("vigil.incidents.events:IncidentCreated", "probe.on_incident_created"),),
)

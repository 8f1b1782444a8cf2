"""`v.alerts` and `v.integrations` of `vigil.connect(...)`: alert intake over either transport."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import RootModel
from sqlalchemy.orm import Session

from vigil.alerts import service
from vigil.alerts.schemas import (
    AlertFilter,
    AlertPage,
    AlertRead,
    DryRunResult,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationList,
    IntegrationRead,
    IntegrationUpdate,
    PromoteResult,
)
from vigil.alerts.service.integrations import to_read
from vigil.core.actor import Actor
from vigil.core.facade import Operation, Transport, pages, parse, query, segment


class Document(RootModel[dict[str, Any]]):
    """An example webhook body, sent as is."""


class Alerts:
    """`v.alerts`: list and read stored alerts, promote one to an incident."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **filters: Any) -> AlertPage:
        """One page of alerts, most recently seen first (`integration`, `status`, `limit`, `cursor`)."""
        f = parse(AlertFilter, filters)

        def run(s: Session, a: Actor) -> AlertPage:
            page = service.records.list_alerts(session=s, actor=a, filters=f)
            return AlertPage(
                items=[service.records.to_read(x) for x in page.items], next_cursor=page.next_cursor
            )

        return self._t.run(
            Operation(
                local=run, method="GET", path="/alerts", query=query(f), answer=AlertPage.model_validate
            )
        )

    def iterate(self, **filters: Any) -> Iterator[AlertRead]:
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(**filters, cursor=cursor), start=start)

    def get(self, alert_id: uuid.UUID | str) -> AlertRead:
        ref = uuid.UUID(str(alert_id))
        return self._t.run(
            Operation(
                local=lambda s, a: service.records.to_read(
                    service.records.get_alert(session=s, actor=a, alert_id=ref)
                ),
                method="GET",
                path=f"/alerts/{segment(ref)}",
                answer=AlertRead.model_validate,
            )
        )

    def promote(self, alert_id: uuid.UUID | str) -> PromoteResult:
        """Open an incident for a stored alert's group; Conflict if it has one."""
        ref = uuid.UUID(str(alert_id))
        return self._t.run(
            Operation(
                local=lambda s, a: service.records.promote(session=s, actor=a, alert_id=ref),
                method="POST",
                path=f"/alerts/{segment(ref)}/promote",
                answer=PromoteResult.model_validate,
            )
        )


class Integrations:
    """`v.integrations`: create, list, read, change integrations, rotate a token, dry-run a payload."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(self, **fields: Any) -> IntegrationCreated:
        data = parse(IntegrationCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: service.integrations.create(session=s, actor=a, data=data),
                method="POST",
                path="/integrations",
                body=data,
                answer=IntegrationCreated.model_validate,
            )
        )

    def list(self) -> list[IntegrationRead]:
        def run(s: Session, a: Actor) -> IntegrationList:
            return IntegrationList(
                items=[to_read(i) for i in service.integrations.list_integrations(session=s, actor=a)]
            )

        found = self._t.run(
            Operation(local=run, method="GET", path="/integrations", answer=IntegrationList.model_validate)
        )
        return found.items

    def get(self, name: str) -> IntegrationRead:
        return self._t.run(
            Operation(
                local=lambda s, a: to_read(service.integrations.get(session=s, actor=a, name=name)),
                method="GET",
                path=f"/integrations/{segment(name)}",
                answer=IntegrationRead.model_validate,
            )
        )

    def update(self, name: str, **fields: Any) -> IntegrationRead:
        data = parse(IntegrationUpdate, fields, keep_none=True)
        return self._t.run(
            Operation(
                local=lambda s, a: to_read(
                    service.integrations.update(session=s, actor=a, name=name, data=data)
                ),
                method="PATCH",
                path=f"/integrations/{segment(name)}",
                body=data,
                answer=IntegrationRead.model_validate,
            )
        )

    def rotate_token(self, name: str) -> IntegrationCreated:
        return self._t.run(
            Operation(
                local=lambda s, a: service.integrations.rotate_token(session=s, actor=a, name=name),
                method="POST",
                path=f"/integrations/{segment(name)}/rotate-token",
                answer=IntegrationCreated.model_validate,
            )
        )

    def dry_run(self, name: str, payload: dict[str, Any]) -> DryRunResult:
        """What each alert of an example payload would produce; nothing is written."""

        def run(s: Session, a: Actor) -> DryRunResult:
            integration = service.integrations.get(session=s, actor=a, name=name)
            return service.intake.dry_run_document(s, integration, payload)

        return self._t.run(
            Operation(
                local=run,
                method="POST",
                path=f"/integrations/{segment(name)}/dry-run",
                body=Document(payload),
                answer=DryRunResult.model_validate,
            )
        )

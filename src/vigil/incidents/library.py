"""`v.incidents` of `vigil.connect(...)`: the incident services as a Python API."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from vigil.core.actor import Actor
from vigil.core.facade import Caller
from vigil.core.facade import parse as _parse
from vigil.incidents import service as incidents
from vigil.incidents.schemas import (
    CommentCreate,
    CommentRead,
    IncidentCreate,
    IncidentFilter,
    IncidentNote,
    IncidentPage,
    IncidentRead,
    IncidentReopen,
    IncidentResolve,
    IncidentUpdate,
    TimelineEntry,
)


class Incidents:
    """`v.incidents`: create, read, list and move incidents through their lifecycle."""

    def __init__(self, client: Caller) -> None:
        self._c = client

    def create(self, **fields: Any) -> IncidentRead:
        data = _parse(IncidentCreate, fields)
        return self._c.call(
            lambda s, a: incidents.to_read(incidents.create(session=s, actor=a, data=data), a)
        )

    def get(self, ref: str | uuid.UUID) -> IncidentRead:
        return self._c.call(lambda s, a: incidents.to_read(incidents.get(session=s, actor=a, ref=ref), a))

    def list(self, **filters: Any) -> IncidentPage:
        f = _parse(IncidentFilter, filters)

        def run(s: Session, a: Actor) -> IncidentPage:
            page = incidents.list_incidents(session=s, actor=a, filters=f)
            return IncidentPage(
                items=[incidents.to_read(i, a) for i in page.items], next_cursor=page.next_cursor
            )

        return self._c.call(run)

    def iterate(self, **filters: Any) -> Iterator[IncidentRead]:
        """Every matching incident, page by page."""
        cursor = None
        while True:
            page = self.list(**filters, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def update(self, ref: str | uuid.UUID, **fields: Any) -> IncidentRead:
        data = _parse(IncidentUpdate, fields, keep_none=True)
        return self._c.call(
            lambda s, a: incidents.to_read(incidents.update(session=s, actor=a, ref=str(ref), data=data), a)
        )

    def _noted(self, perform: Any, ref: str | uuid.UUID, note: str | None) -> IncidentRead:
        data = IncidentNote(note=note)
        return self._c.call(
            lambda s, a: incidents.to_read(perform(session=s, actor=a, ref=ref, data=data), a)
        )

    def acknowledge(self, ref: str | uuid.UUID, note: str | None = None) -> IncidentRead:
        return self._noted(incidents.acknowledge, ref, note)

    def hold(self, ref: str | uuid.UUID, note: str | None = None) -> IncidentRead:
        return self._noted(incidents.hold, ref, note)

    def resume(self, ref: str | uuid.UUID, note: str | None = None) -> IncidentRead:
        return self._noted(incidents.resume, ref, note)

    def close(self, ref: str | uuid.UUID, note: str | None = None) -> IncidentRead:
        return self._noted(incidents.close, ref, note)

    def cancel(self, ref: str | uuid.UUID, note: str | None = None) -> IncidentRead:
        return self._noted(incidents.cancel, ref, note)

    def resolve(
        self, ref: str | uuid.UUID, notes: str, code: str = "fixed", root_cause: str | None = None
    ) -> IncidentRead:
        data = _parse(
            IncidentResolve, {"resolution_notes": notes, "resolution_code": code, "root_cause": root_cause}
        )
        return self._c.call(
            lambda s, a: incidents.to_read(incidents.resolve(session=s, actor=a, ref=ref, data=data), a)
        )

    def reopen(self, ref: str | uuid.UUID, reason: str) -> IncidentRead:
        data = _parse(IncidentReopen, {"reason": reason})
        return self._c.call(
            lambda s, a: incidents.to_read(incidents.reopen(session=s, actor=a, ref=ref, data=data), a)
        )

    def comment(self, ref: str | uuid.UUID, body: str, *, internal: bool = False) -> CommentRead:
        data = _parse(CommentCreate, {"body": body, "internal": internal})
        return self._c.call(
            lambda s, a: CommentRead.model_validate(
                incidents.add_comment(session=s, actor=a, ref=ref, data=data)
            )
        )

    def timeline(self, ref: str | uuid.UUID) -> builtins.list[TimelineEntry]:
        return self._c.call(lambda s, a: incidents.timeline(session=s, actor=a, ref=ref))

"""`v.incidents` (and `v.incidents.categories`) of `vigil.connect(...)`: the incident services as a Python
API, each method said once for both transports (in-process and HTTP, `vigil.core.facade`)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from vigil.core import clock
from vigil.core.actor import Actor
from vigil.core.errors import Invalid
from vigil.core.facade import Operation, Transport, pages, parse, query, segment
from vigil.core.schemas import Collection, ListQuery, SyncQuery
from vigil.incidents import service as incidents
from vigil.incidents.library_related import RelatedRecords
from vigil.incidents.models import Incident
from vigil.incidents.schemas import (
    CategoryCreate,
    CategoryPage,
    CategoryRead,
    CategoryUpdate,
    CommentCreate,
    CommentPage,
    CommentRead,
    EscalationLevelRead,
    EscalationLevelSet,
    IncidentCreate,
    IncidentEscalate,
    IncidentFilter,
    IncidentNote,
    IncidentPage,
    IncidentRead,
    IncidentReopen,
    IncidentResolve,
    IncidentSla,
    IncidentUpdate,
    TimelineEntry,
    TimelinePage,
)

Ref = str | uuid.UUID
T = TypeVar("T")
#: The lifecycle actions by their REST name (`POST /incidents/{ref}/{action}`).
ACTIONS: dict[str, Callable[..., Incident]] = {
    **incidents.NOTE_ACTIONS,
    "resolve": incidents.resolve,
    "reopen": incidents.reopen,
    "escalate": incidents.escalation.escalate,
}
#: The biggest page the API serves: walking a whole timeline or comment list takes the fewest requests.
WHOLE = 200


class Incidents(RelatedRecords):
    """`v.incidents`: create, read, list and move incidents through their lifecycle; watchers, links,
    attachments and bulk actions (`RelatedRecords`).

    Actions take `version=` (the version you read): if the incident changed since, StaleVersion (412)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self.categories = Categories(transport)

    def create(self, **fields: Any) -> IncidentRead:
        data = parse(IncidentCreate, fields)
        return self._t.run(
            Operation(
                local=lambda s, a: incidents.to_read(incidents.create(session=s, actor=a, data=data), a),
                method="POST",
                path="/incidents",
                body=data,
                keyed=True,
                answer=IncidentRead.model_validate,
            )
        )

    def get(self, ref: Ref) -> IncidentRead:
        return self._t.run(
            Operation(
                local=lambda s, a: incidents.to_read(incidents.get(session=s, actor=a, ref=ref), a),
                method="GET",
                path=f"/incidents/{segment(ref)}",
                answer=IncidentRead.model_validate,
            )
        )

    def sla(self, ref: Ref) -> IncidentSla:
        """Why each due time is what it is: the policy, the calendar, the clock events, the spans counted."""
        return self._t.run(
            Operation(
                local=lambda s, a: incidents.clocks.explain(
                    s, incidents.get(session=s, actor=a, ref=ref), clock.now()
                ),
                method="GET",
                path=f"/incidents/{segment(ref)}/sla",
                answer=IncidentSla.model_validate,
            )
        )

    def list(self, **filters: Any) -> IncidentPage:
        """One page of the incidents you may see (the API's filters: status, priority, q, sort, limit...)."""
        if filters.get("fields") is not None:
            raise Invalid("the library returns whole incidents; `fields` is for the REST API", field="fields")
        f = parse(IncidentFilter, filters)

        def run(s: Session, a: Actor) -> IncidentPage:
            page = incidents.list_incidents(session=s, actor=a, filters=f)
            return IncidentPage(
                items=[incidents.to_read(i, a) for i in page.items],
                next_cursor=page.next_cursor,
                count=page.count,
                count_exact=page.count_exact,
            )

        return self._t.run(
            Operation(
                local=run, method="GET", path="/incidents", query=query(f), answer=IncidentPage.model_validate
            )
        )

    def iterate(self, **filters: Any) -> Iterator[IncidentRead]:
        """Every matching incident, fetched a page (`limit`) at a time as you go."""
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(**filters, cursor=cursor), start=start)

    def update(self, ref: Ref, **fields: Any) -> IncidentRead:
        """Change the fields given (None clears one); `version=` refuses a stale change (412)."""
        data = parse(IncidentUpdate, fields, keep_none=True)
        return self._t.run(
            Operation(
                local=lambda s, a: incidents.to_read(
                    incidents.update(session=s, actor=a, ref=str(ref), data=data), a
                ),
                method="PATCH",
                path=f"/incidents/{segment(ref)}",
                body=data,
                answer=IncidentRead.model_validate,
            )
        )

    def _act(self, action: str, ref: Ref, data: Any, version: int | None) -> IncidentRead:
        """A lifecycle action (`POST /incidents/{ref}/{action}`) with its body."""
        perform = ACTIONS[action]
        return self._t.run(
            Operation(
                local=lambda s, a: incidents.to_read(
                    perform(session=s, actor=a, ref=ref, data=data, expected_version=version), a
                ),
                method="POST",
                path=f"/incidents/{segment(ref)}/{action}",
                body=data,
                if_match=version,
                keyed=True,
                answer=IncidentRead.model_validate,
            )
        )

    def acknowledge(self, ref: Ref, note: str | None = None, *, version: int | None = None) -> IncidentRead:
        return self._act("acknowledge", ref, parse(IncidentNote, {"note": note}), version)

    def hold(self, ref: Ref, note: str | None = None, *, version: int | None = None) -> IncidentRead:
        return self._act("hold", ref, parse(IncidentNote, {"note": note}), version)

    def resume(self, ref: Ref, note: str | None = None, *, version: int | None = None) -> IncidentRead:
        return self._act("resume", ref, parse(IncidentNote, {"note": note}), version)

    def close(self, ref: Ref, note: str | None = None, *, version: int | None = None) -> IncidentRead:
        return self._act("close", ref, parse(IncidentNote, {"note": note}), version)

    def cancel(self, ref: Ref, note: str | None = None, *, version: int | None = None) -> IncidentRead:
        return self._act("cancel", ref, parse(IncidentNote, {"note": note}), version)

    def resolve(
        self,
        ref: Ref,
        notes: str,
        code: str = "fixed",
        root_cause: str | None = None,
        *,
        version: int | None = None,
    ) -> IncidentRead:
        data = parse(
            IncidentResolve, {"resolution_notes": notes, "resolution_code": code, "root_cause": root_cause}
        )
        return self._act("resolve", ref, data, version)

    def reopen(self, ref: Ref, reason: str, *, version: int | None = None) -> IncidentRead:
        return self._act("reopen", ref, parse(IncidentReopen, {"reason": reason}), version)

    def escalate(
        self,
        ref: Ref,
        reason: str,
        *,
        kind: str = "functional",
        to_level: int | None = None,
        version: int | None = None,
    ) -> IncidentRead:
        """Functional (to the next level's team, or `to_level`'s) or hierarchical (the group's manager)."""
        data = parse(IncidentEscalate, {"reason": reason, "kind": kind, "to_level": to_level})
        return self._act("escalate", ref, data, version)

    def escalation_levels(self) -> builtins.list[EscalationLevelRead]:
        """The functional escalation chain, L1 first."""
        return self._t.run(
            Operation(
                local=lambda s, a: [
                    EscalationLevelRead.model_validate(r)
                    for r in incidents.escalation.levels(session=s, actor=a)
                ],
                method="GET",
                path="/incident-escalation-levels",
                answer=lambda body: [EscalationLevelRead.model_validate(r) for r in body["items"]],
            )
        )

    def set_escalation_level(self, level: int, name: str, team: str) -> EscalationLevelRead:
        data = parse(EscalationLevelSet, {"name": name, "team": team})
        return self._t.run(
            Operation(
                local=lambda s, a: EscalationLevelRead.model_validate(
                    incidents.escalation.set_level(session=s, actor=a, level=level, data=data)
                ),
                method="PUT",
                path=f"/incident-escalation-levels/{level}",
                body=data,
                answer=EscalationLevelRead.model_validate,
            )
        )

    def clear_escalation_level(self, level: int) -> None:
        self._t.run(
            Operation(
                local=lambda s, a: incidents.escalation.clear_level(session=s, actor=a, level=level),
                method="DELETE",
                path=f"/incident-escalation-levels/{level}",
                answer=lambda body: None,
            )
        )

    def comment(self, ref: Ref, body: str, *, internal: bool = False) -> CommentRead:
        data = parse(CommentCreate, {"body": body, "internal": internal})
        return self._t.run(
            Operation(
                local=lambda s, a: CommentRead.model_validate(
                    incidents.add_comment(session=s, actor=a, ref=ref, data=data)
                ),
                method="POST",
                path=f"/incidents/{segment(ref)}/comments",
                body=data,
                keyed=True,
                answer=CommentRead.model_validate,
            )
        )

    def comments(self, ref: Ref) -> builtins.list[CommentRead]:
        """The incident's comments (and, for staff, work notes), oldest first."""
        return self._whole(ref, "comments", CommentPage, incidents.comments)

    def timeline(self, ref: Ref) -> builtins.list[TimelineEntry]:
        """Comments, work notes (staff) and every recorded change, oldest first."""
        return self._whole(ref, "timeline", TimelinePage, incidents.timeline_page)

    def _whole(
        self, ref: Ref, part: str, model: type[Collection[T]], fetch: Callable[..., Any]
    ) -> builtins.list[T]:
        """Every item of one of the incident's lists (`/incidents/{ref}/{part}`), the biggest page at a time."""

        def page(cursor: str | None) -> Collection[T]:
            q = ListQuery(limit=WHOLE, cursor=cursor)
            return self._t.run(
                Operation(
                    local=lambda s, a: model.model_validate(
                        fetch(session=s, actor=a, ref=ref, query=q), from_attributes=True
                    ),
                    method="GET",
                    path=f"/incidents/{segment(ref)}/{part}",
                    query=query(q),
                    answer=model.model_validate,
                )
            )

        return builtins.list(pages(page))


class Categories:
    """`v.incidents.categories`: the incident category list (anyone reads it; managers change it)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, **filters: Any) -> CategoryPage:
        """Every category, active or not, in display order (one page: the list is short by nature);
        `updated_after` and `sort="updated_at"` for sync clients."""
        q = parse(SyncQuery, filters)

        def run(s: Session, a: Actor) -> CategoryPage:
            found = incidents.categories.list_all(session=s, actor=a, query=q)
            items = [CategoryRead.model_validate(c) for c in found]
            return CategoryPage(items=items, count=len(items), count_exact=True)

        return self._t.run(
            Operation(
                local=run,
                method="GET",
                path="/incident-categories",
                query=query(q),
                answer=CategoryPage.model_validate,
            )
        )

    def get(self, name: str) -> CategoryRead:
        return self._t.run(
            Operation(
                local=lambda s, a: CategoryRead.model_validate(
                    incidents.categories.get(session=s, actor=a, name=name)
                ),
                method="GET",
                path=f"/incident-categories/{segment(name)}",
                answer=CategoryRead.model_validate,
            )
        )

    def create(self, name: str) -> CategoryRead:
        data = parse(CategoryCreate, {"name": name})
        return self._t.run(
            Operation(
                local=lambda s, a: CategoryRead.model_validate(
                    incidents.categories.add(session=s, actor=a, name=data.name)
                ),
                method="POST",
                path="/incident-categories",
                body=data,
                keyed=True,
                answer=CategoryRead.model_validate,
            )
        )

    def update(self, name: str, *, active: bool, version: int | None = None) -> CategoryRead:
        """Retire (`active=False`) or restore a category; `version=` refuses a stale change (412)."""
        data = parse(CategoryUpdate, {"active": active, "version": version})
        return self._t.run(
            Operation(
                local=lambda s, a: CategoryRead.model_validate(
                    incidents.categories.set_active(
                        session=s, actor=a, name=name, active=data.active, expected_version=data.version
                    )
                ),
                method="PATCH",
                path=f"/incident-categories/{segment(name)}",
                body=data,
                answer=CategoryRead.model_validate,
            )
        )

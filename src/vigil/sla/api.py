"""REST endpoints for SLA calendars and policies under /api/v1/sla: staff read, administrators change."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from vigil.auth.deps import ApiActor
from vigil.core import clock
from vigil.sla import admin
from vigil.sla.schemas import (
    CalendarCreate,
    CalendarPage,
    CalendarRead,
    CalendarUpdate,
    PolicyCreate,
    PolicyPage,
    PolicyRead,
    PolicyUpdate,
    WeekPreview,
)
from vigil.web import idempotent, problems, versions
from vigil.web.deps import Db
from vigil.web.idempotent import LOCATION, IdemKey
from vigil.web.versions import IfMatch

router = APIRouter(prefix="/api/v1/sla", tags=["sla"], responses=problems.responses(404, 409, 422))
CREATED: dict[int | str, dict[str, Any]] = {201: {"headers": LOCATION}}
TAGGED: dict[int | str, dict[str, Any]] = {**problems.responses(404), **versions.TAGGED}
DELETED: dict[int | str, dict[str, Any]] = {**problems.responses(412)}


@router.get("/calendars", response_model=CalendarPage)
def list_sla_calendars(db: Db, actor: ApiActor) -> CalendarPage:
    """Every SLA calendar, by name (one page: the list is short by nature)."""
    with db.unit_of_work() as session:
        found = [CalendarRead.model_validate(c) for c in admin.list_calendars(session=session, actor=actor)]
    return CalendarPage(items=found, count=len(found), count_exact=True)


@router.post("/calendars", response_model=CalendarRead, status_code=201, responses=CREATED)
def create_sla_calendar(data: CalendarCreate, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    """Add a calendar (administrators); a bad definition is a 422 naming the field."""
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /sla/calendars",
        payload=data,
        status_code=201,
        work=lambda s: CalendarRead.model_validate(admin.create_calendar(session=s, actor=actor, data=data)),
        location=lambda body: f"/api/v1/sla/calendars/{quote(body['name'], safe='')}",
    )


@router.get("/calendars/{name}", response_model=CalendarRead, responses=TAGGED)
def get_sla_calendar(name: str, db: Db, actor: ApiActor, response: Response) -> CalendarRead:
    with db.unit_of_work() as session:
        read = CalendarRead.model_validate(admin.get_calendar(session=session, actor=actor, name=name))
    return versions.tag(response, read)


@router.patch("/calendars/{name}", response_model=CalendarRead, responses=versions.VERSIONED)
def update_sla_calendar(
    name: str, data: CalendarUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> CalendarRead:
    """Change a calendar (administrators). Running clocks keep the definition they started with."""
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        row = admin.update_calendar(
            session=session, actor=actor, name=name, data=data, expected_version=expected
        )
        read = CalendarRead.model_validate(row)
    return versions.tag(response, read)


@router.delete("/calendars/{name}", status_code=204, responses=DELETED)
def delete_sla_calendar(name: str, db: Db, actor: ApiActor, if_match: IfMatch = None) -> Response:
    """Delete a calendar (administrators): not a built-in one, nor one a policy uses (409)."""
    expected = versions.expected_version(if_match)
    with db.unit_of_work() as session:
        admin.delete_calendar(session=session, actor=actor, name=name, expected_version=expected)
    return Response(status_code=204)


@router.get("/calendars/{name}/week", response_model=WeekPreview)
def sla_calendar_week(
    name: str,
    db: Db,
    actor: ApiActor,
    start: Annotated[date | None, Query(description="A day of the week to show (default: today).")] = None,
) -> WeekPreview:
    """The working spans of one week (Monday to Sunday, local dates), in local time and in UTC."""
    with db.unit_of_work() as session:
        return admin.week(session=session, actor=actor, name=name, start=start or clock.now().date())


@router.get("/policies", response_model=PolicyPage)
def list_sla_policies(db: Db, actor: ApiActor) -> PolicyPage:
    """Every SLA policy, in the order they are tried (position, then name)."""
    with db.unit_of_work() as session:
        found = [PolicyRead.model_validate(p) for p in admin.list_policies(session=session, actor=actor)]
    return PolicyPage(items=found, count=len(found), count_exact=True)


@router.post("/policies", response_model=PolicyRead, status_code=201, responses=CREATED)
def create_sla_policy(data: PolicyCreate, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    """Add a policy (administrators); each target names an existing calendar."""
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /sla/policies",
        payload=data,
        status_code=201,
        work=lambda s: PolicyRead.model_validate(admin.create_policy(session=s, actor=actor, data=data)),
        location=lambda body: f"/api/v1/sla/policies/{quote(body['name'], safe='')}",
    )


@router.get("/policies/{name}", response_model=PolicyRead, responses=TAGGED)
def get_sla_policy(name: str, db: Db, actor: ApiActor, response: Response) -> PolicyRead:
    with db.unit_of_work() as session:
        read = PolicyRead.model_validate(admin.get_policy(session=session, actor=actor, name=name))
    return versions.tag(response, read)


@router.patch("/policies/{name}", response_model=PolicyRead, responses=versions.VERSIONED)
def update_sla_policy(
    name: str, data: PolicyUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> PolicyRead:
    """Activate, reorder or retarget a policy (administrators); running clocks keep their snapshot."""
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        row = admin.update_policy(
            session=session, actor=actor, name=name, data=data, expected_version=expected
        )
        read = PolicyRead.model_validate(row)
    return versions.tag(response, read)


@router.delete("/policies/{name}", status_code=204, responses=DELETED)
def delete_sla_policy(name: str, db: Db, actor: ApiActor, if_match: IfMatch = None) -> Response:
    """Delete a policy (administrators); a built-in one is a 409 (deactivate it instead)."""
    expected = versions.expected_version(if_match)
    with db.unit_of_work() as session:
        admin.delete_policy(session=session, actor=actor, name=name, expected_version=expected)
    return Response(status_code=204)

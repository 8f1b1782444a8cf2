"""Managing SLA calendars and policies: the one write path for them (API, pages and CLI call this).

Staff read them; administrators create, change and delete them. A calendar is checked by
`businesstime.Calendar.build`; a policy's targets name existing calendars. Built-in ones can be changed
but not deleted, and a calendar a policy uses cannot be deleted. Editing never rewrites a running clock:
clocks snapshot their policy's targets and calendars when they start."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import Team
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.models import ConfigurationItem
from vigil.core import audit
from vigil.core.actor import Actor
from vigil.core.errors import Conflict, Duplicate, Invalid, NotFound, check_version
from vigil.sla import businesstime, policy
from vigil.sla import service as sla_service
from vigil.sla.models import SlaCalendar, SlaClock, SlaPolicy
from vigil.sla.schemas import (
    PRIORITIES,
    CalendarCreate,
    CalendarUpdate,
    PolicyCreate,
    PolicyUpdate,
    PreviewDay,
    Span,
    WeekPreview,
)

CALENDAR_FIELDS = ("timezone", "week", "country", "subdivision", "extra_holidays", "half_days")
POLICY_FIELDS = ("position", "active", "conditions", "targets")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# Calendars ----------------------------------------------------------------------------------------------


def list_calendars(*, session: Session, actor: Actor) -> list[SlaCalendar]:
    policy.require(actor, "sla.read")
    return list(session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)))


def get_calendar(*, session: Session, actor: Actor, name: str) -> SlaCalendar:
    policy.require(actor, "sla.read")
    found = session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    if found is None:
        raise NotFound(f"SLA calendar {name!r} not found")
    return found


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """A calendar's fields as stored: ISO dates, blank country or subdivision as None."""
    out = dict(values)
    if "extra_holidays" in out:
        out["extra_holidays"] = sorted({d.isoformat() for d in out["extra_holidays"] or []})
    if "half_days" in out:
        out["half_days"] = {d.isoformat(): v for d, v in sorted((out["half_days"] or {}).items())}
    if "country" in out:
        out["country"] = (out["country"] or "").upper() or None
    if "subdivision" in out:
        out["subdivision"] = out["subdivision"] or None
    return out


def _check_calendar(defn: dict[str, Any]) -> businesstime.Calendar:
    """Build the calendar (each fault `Invalid` naming its field) and refuse one with no working time."""
    return businesstime.Calendar.build(
        defn["timezone"],
        dict(enumerate(defn["week"])),
        country=defn.get("country"),
        subdivision=defn.get("subdivision"),
        extra_holidays=[date.fromisoformat(d) for d in defn.get("extra_holidays") or []],
        half_days={date.fromisoformat(d): v for d, v in (defn.get("half_days") or {}).items()},
    )


def create_calendar(*, session: Session, actor: Actor, data: CalendarCreate) -> SlaCalendar:
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    values = _plain(data.model_dump(include=set(CALENDAR_FIELDS)))
    _check_calendar(values)
    if session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == data.name)) is not None:
        raise Duplicate(f"an SLA calendar named {data.name!r} already exists", field="name")
    row = SlaCalendar(name=data.name, builtin=False, **values)
    session.add(row)
    session.flush()
    audit.record(
        session, actor, action="sla.calendar.create", object_type="sla_calendar", object_id=row.name,
        changes={k: [None, v] for k, v in values.items()} | {"name": [None, row.name]},
    )  # fmt: skip
    return row


def update_calendar(
    *,
    session: Session,
    actor: Actor,
    name: str,
    data: CalendarUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> SlaCalendar:
    """Change the fields given; running clocks keep the definition they started with."""
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    row = get_calendar(session=session, actor=actor, name=name)
    check_version(f"SLA calendar {name!r}", row.version, expected_version)
    given = _plain(data.model_dump(include=set(CALENDAR_FIELDS), exclude_unset=True))
    if given.get("timezone") is None:
        given.pop("timezone", None)
    if "week" in given and given["week"] is None:
        given.pop("week")
    current = sla_service.definition(row)
    merged = {**current, **given}
    _check_calendar(merged)
    changes = {k: [current[k], v] for k, v in given.items() if current[k] != v}
    if changes:
        for key, value in given.items():
            setattr(row, key, value)
        session.flush()
        audit.record(
            session, actor, action="sla.calendar.update", object_type="sla_calendar", object_id=row.name,
            changes=changes,
        )  # fmt: skip
    return row


def policies_using(session: Session, calendar: str) -> list[str]:
    rows = session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.name))
    return [p.name for p in rows if any(t.get("calendar") == calendar for t in (p.targets or {}).values())]


def delete_calendar(
    *, session: Session, actor: Actor, name: str, expected_version: int | frozenset[int] | None = None
) -> None:
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    row = get_calendar(session=session, actor=actor, name=name)
    check_version(f"SLA calendar {name!r}", row.version, expected_version)
    if row.builtin:
        raise Conflict(f"SLA calendar {name!r} is built in: change it, but it cannot be deleted")
    users = policies_using(session, name)
    if users:
        raise Conflict(
            f"SLA calendar {name!r} is used by the policy {', '.join(repr(u) for u in users)}; "
            "point its targets at another calendar first",
            policies=users,
        )
    audit.record(
        session, actor, action="sla.calendar.delete", object_type="sla_calendar", object_id=name,
        changes={"name": [name, None]},
    )  # fmt: skip
    session.delete(row)
    session.flush()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _seconds(a: datetime, b: datetime) -> int:
    return int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds())


def preview(cal: businesstime.Calendar, name: str, start: date) -> WeekPreview:
    """The working spans of the week holding `start` (Monday first), local and UTC."""
    monday = monday_of(start)
    days = []
    for day, spans in businesstime.week_preview(cal, monday):
        # In UTC: the difference of two wall times in one zone ignores a DST change between them.
        items = [
            Span(
                start=a, end=b, start_utc=a.astimezone(UTC), end_utc=b.astimezone(UTC), seconds=_seconds(a, b)
            )
            for a, b in spans
        ]
        holiday = cal.is_holiday(day) and day not in dict(cal.half_days)
        days.append(
            PreviewDay(
                date=day,
                weekday=WEEKDAYS[day.weekday()],
                holiday=holiday,
                spans=items,
                seconds=sum(s.seconds for s in items),
            )  # fmt: skip
        )
    return WeekPreview(
        calendar=name, timezone=cal.timezone, start=monday, days=days, seconds=sum(d.seconds for d in days)
    )


#: The weeks a preview may show: time zone rules and holiday tables mean nothing far outside them.
PREVIEW_RANGE = (date(1900, 1, 1), date(2999, 12, 31))


def week(*, session: Session, actor: Actor, name: str, start: date) -> WeekPreview:
    row = get_calendar(session=session, actor=actor, name=name)
    if not PREVIEW_RANGE[0] <= start <= PREVIEW_RANGE[1]:
        raise Invalid("Preview a week between the years 1900 and 2999.", field="start")
    return preview(sla_service.calendar_of(sla_service.definition(row)), row.name, start)


# Policies -----------------------------------------------------------------------------------------------


def list_policies(*, session: Session, actor: Actor) -> list[SlaPolicy]:
    policy.require(actor, "sla.read")
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.name)))


def get_policy(*, session: Session, actor: Actor, name: str) -> SlaPolicy:
    policy.require(actor, "sla.read")
    found = session.scalar(select(SlaPolicy).where(SlaPolicy.name == name))
    if found is None:
        raise NotFound(f"SLA policy {name!r} not found")
    return found


def _check_targets(session: Session, targets: dict[str, Any]) -> None:
    if not targets:
        raise Invalid("A policy needs a target for at least one priority (P1 to P4).", field="targets")
    known = set(session.scalars(select(SlaCalendar.name)))
    for priority, target in targets.items():
        if priority not in PRIORITIES:
            raise Invalid(
                f"Unknown priority {priority!r}: use P1, P2, P3 or P4.", field=f"targets.{priority}"
            )
        if target["calendar"] not in known:
            raise Invalid(
                f"Unknown calendar {target['calendar']!r}; choose one of: {', '.join(sorted(known))}.",
                field=f"targets.{priority}.calendar",
            )


def _conditions(session: Session, raw: Any) -> dict[str, Any]:
    """Conditions as stored: priorities checked, CIs and teams given by name or id stored as ids (what
    matching compares), repeats dropped. An unknown one is a 422 naming `conditions.<kind>`."""
    if raw is None:
        return {}
    given = raw.model_dump() if hasattr(raw, "model_dump") else raw
    out: dict[str, list[str]] = {}
    for kind, values in given.items():
        if not values:
            continue
        field = f"conditions.{kind}"
        refs = [str(v).strip() for v in values if str(v).strip()]
        if kind == "priority":
            if bad := [v for v in refs if v not in PRIORITIES]:
                raise Invalid(f"Unknown priority {bad[0]!r}: use P1, P2, P3 or P4.", field=field)
        elif kind == "ci":
            refs = [str(cmdb_service.resolve(session, r, field=field).id) for r in refs]
        elif kind == "team":
            refs = [str(auth_service.resolve_team(session, r, field=field).id) for r in refs]
        if refs:
            out[kind] = list(dict.fromkeys(refs))
    return out


def condition_names(session: Session, conditions: dict[str, Any]) -> dict[str, list[str]]:
    """Conditions as people read them: CIs and teams by name (an id that no longer exists as itself)."""
    out: dict[str, list[str]] = {}
    for kind, values in conditions.items():
        names = [str(v) for v in values]
        if kind in ("ci", "team"):
            table = ConfigurationItem if kind == "ci" else Team
            ids = sla_service.condition_ids(names)
            known = {
                str(i): n for i, n in session.execute(select(table.id, table.name).where(table.id.in_(ids)))
            }
            names = [known.get(v, v) for v in names]
        out[kind] = names
    return out


def create_policy(*, session: Session, actor: Actor, data: PolicyCreate) -> SlaPolicy:
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    targets = {p: t.model_dump() for p, t in sorted(data.targets.items())}
    _check_targets(session, targets)
    if session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == data.name)) is not None:
        raise Duplicate(f"an SLA policy named {data.name!r} already exists", field="name")
    row = SlaPolicy(
        name=data.name, position=data.position, active=data.active,
        conditions=_conditions(session, data.conditions), targets=targets, builtin=False,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, actor, action="sla.policy.create", object_type="sla_policy", object_id=row.name,
        changes={k: [None, getattr(row, k)] for k in ("name", *POLICY_FIELDS)},
    )  # fmt: skip
    return row


def update_policy(
    *,
    session: Session,
    actor: Actor,
    name: str,
    data: PolicyUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> SlaPolicy:
    """Change the fields given (activate, reorder, retarget); running clocks keep their snapshot."""
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    row = get_policy(session=session, actor=actor, name=name)
    check_version(f"SLA policy {name!r}", row.version, expected_version)
    given: dict[str, Any] = {}
    if data.position is not None:
        given["position"] = data.position
    if data.active is not None:
        given["active"] = data.active
    if "conditions" in data.model_fields_set:
        given["conditions"] = _conditions(session, data.conditions)
    if data.targets is not None:
        given["targets"] = {p: t.model_dump() for p, t in sorted(data.targets.items())}
        _check_targets(session, given["targets"])
    changes = {k: [getattr(row, k), v] for k, v in given.items() if getattr(row, k) != v}
    if changes:
        for key, value in given.items():
            setattr(row, key, value)
        session.flush()
        audit.record(
            session, actor, action="sla.policy.update", object_type="sla_policy", object_id=row.name,
            changes=changes,
        )  # fmt: skip
    return row


def delete_policy(
    *, session: Session, actor: Actor, name: str, expected_version: int | frozenset[int] | None = None
) -> None:
    policy.require(actor, "sla.manage")
    sla_service.rules_changed(session)
    row = get_policy(session=session, actor=actor, name=name)
    check_version(f"SLA policy {name!r}", row.version, expected_version)
    if row.builtin:
        raise Conflict(f"SLA policy {name!r} is built in: deactivate it instead of deleting it")
    audit.record(
        session, actor, action="sla.policy.delete", object_type="sla_policy", object_id=name,
        changes={"name": [name, None]},
    )  # fmt: skip
    session.delete(row)
    session.flush()


def recompute(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    after: uuid.UUID | None = None,
    limit: int = 200,
) -> tuple[list[sla_service.Recomputed], uuid.UUID | None, int]:
    """One batch of `sla_service.recompute_batch` (administrators): clocks repaired from their history
    under the current policies and calendars, audited when anything changed."""
    policy.require(actor, "sla.manage")
    changed, last, seen = sla_service.recompute_batch(session, since=since, after=after, limit=limit)
    if changed:
        audit.record(
            session,
            actor,
            action="sla.recompute",
            object_type="sla_clock",
            object_id=changed[0].clock_id,
            changes={"clocks": [None, len(changed)], "since": [None, since.isoformat() if since else None]},
        )
    return changed, last, seen


def clock_count(*, session: Session, actor: Actor, since: datetime | None = None) -> int:
    """How many clocks a recompute from `since` looks at."""
    policy.require(actor, "sla.manage")
    query = select(func.count()).select_from(SlaClock)
    if since is not None:
        query = query.where(SlaClock.started_at >= since)
    return int(session.scalar(query) or 0)

"""SLA clocks through their life: start (choosing and snapshotting a policy), pause, resume, stop,
restart on reopen, retarget on a priority change; what a clock shows now; and the sweep that emits
each warning and the breach exactly once.

Callers name their records (`record_type`, `record_id`) and give the facts a policy is chosen by; this
module knows no record type. Every change is a row update plus a `sla_clock_event`, in the caller's
transaction."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select
from sqlalchemy.orm import Session, aliased

from vigil.core import cache, clock, events
from vigil.sla import businesstime
from vigil.sla.events import SlaThresholdReached
from vigil.sla.models import SlaCalendar, SlaClock, SlaClockEvent, SlaPolicy

METRICS = ("response", "resolution")
#: The thresholds, in percent of the target, that are events: two warnings and the breach.
THRESHOLDS = (75, 90, 100)


def _no_teams() -> frozenset[uuid.UUID]:
    return frozenset()


@dataclass(frozen=True)
class Facts:
    """What a policy's conditions are matched against. `teams` (the requester's teams) is asked for
    only when a policy has a team condition: most never do, and it costs a query."""

    priority: str
    category: str | None = None
    cis: frozenset[uuid.UUID] = frozenset()
    teams: Callable[[], frozenset[uuid.UUID]] = _no_teams


@dataclass(frozen=True)
class ClockView:
    """A clock as it stands at `at`."""

    metric: str
    state: str  # running | paused | met | breached
    policy: str
    priority: str
    calendar: str
    target_seconds: int
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    elapsed_seconds: int  # business time used
    paused_seconds: int  # wall-clock time paused
    remaining_seconds: int  # business time left (negative once breached)
    percent_used: float
    wall_seconds: int | None  # start to stop, wall clock (None while not stopped)
    breached: bool = field(default=False)


def definition(row: SlaCalendar) -> dict[str, Any]:
    """A calendar row as the plain definition clocks snapshot."""
    return {
        "name": row.name,
        "timezone": row.timezone,
        "week": row.week,
        "country": row.country,
        "subdivision": row.subdivision,
        "extra_holidays": list(row.extra_holidays or []),
        "half_days": dict(row.half_days or {}),
    }


def calendar_of(defn: dict[str, Any]) -> businesstime.Calendar:
    """The business-time calendar a definition describes (validated: a bad one is `Invalid`)."""
    return _calendar(json.dumps(defn, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _calendar(key: str) -> businesstime.Calendar:
    defn = json.loads(key)
    return businesstime.Calendar.build(
        defn["timezone"],
        {day: [tuple(i) for i in intervals] for day, intervals in enumerate(defn["week"])},
        country=defn.get("country"),
        subdivision=defn.get("subdivision"),
        extra_holidays=[date.fromisoformat(d) for d in defn.get("extra_holidays", [])],
        half_days={
            date.fromisoformat(d): [tuple(i) for i in v] for d, v in defn.get("half_days", {}).items()
        },
    )


def _matches(conditions: dict[str, Any], facts: Facts) -> bool:
    if (wanted := conditions.get("priority")) and facts.priority not in wanted:
        return False
    if (wanted := conditions.get("category")) and facts.category not in wanted:
        return False
    if (wanted := conditions.get("ci")) and not facts.cis & condition_ids(wanted):
        return False
    return not ((wanted := conditions.get("team")) and not facts.teams() & condition_ids(wanted))


def condition_ids(values: list[Any]) -> set[uuid.UUID]:
    """The ids a condition names; anything else in it (never written by sla.admin) matches nothing."""
    out = set()
    for value in values:
        try:
            out.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class Rule:
    """An active policy as clocks start under it: read once per process (`_RULES`), never changed in place."""

    id: uuid.UUID
    name: str
    conditions: dict[str, Any]
    targets: dict[str, Any]


@dataclass(frozen=True)
class Rules:
    policies: tuple[Rule, ...]  # the active ones, by position
    calendars: dict[str, dict[str, Any]]  # every calendar's definition, by name


def _load_rules(session: Session) -> Rules:
    with session.no_autoflush:  # the caller's pending rows go in its one flush, later
        rows = session.scalars(
            select(SlaPolicy).where(SlaPolicy.active).order_by(SlaPolicy.position, SlaPolicy.name)
        )
        policies = tuple(Rule(p.id, p.name, dict(p.conditions or {}), dict(p.targets)) for p in rows)
        calendars = {r.name: definition(r) for r in session.scalars(select(SlaCalendar))}
    return Rules(policies, calendars)


#: Every create starts clocks under these: read once per process, not per write (core/cache.py). A
#: change made through sla.admin drops them when it commits; other processes read it within 5 seconds.
_RULES = cache.Cached(_load_rules)


def rules_changed(session: Session) -> None:
    """`session` changed a policy or calendar: clocks started after it commits use the change."""
    _RULES.invalidate_after_commit(session)


def choose_policy(session: Session, facts: Facts) -> Rule | None:
    """The first active policy, by position, whose conditions all hold."""
    return next(
        (
            p
            for p in _RULES.get(session).policies
            if _matches(p.conditions, facts) and facts.priority in p.targets
        ),
        None,
    )


def _event(session: Session, c: SlaClock, kind: str, at: datetime, **data: Any) -> None:
    session.add(SlaClockEvent(id=uuid.uuid4(), clock_id=c.id, clock=c, kind=kind, at=at, data=data))


def _cal(c: SlaClock) -> businesstime.Calendar:
    return calendar_of(c.calendars[c.calendar_name])


def _used(c: SlaClock, at: datetime) -> int:
    if c.state == "running" and c.running_since is not None:
        return c.used_seconds + businesstime.business_seconds(
            _cal(c), c.running_since, max(at, c.running_since)
        )
    return c.used_seconds


def _schedule(c: SlaClock) -> None:
    """Due time and next alert of a running clock, counted from when it last (re)started running.
    `next_alert_percent` only ever moves up, so no threshold is emitted twice, whatever the target
    later becomes; one already passed under a shorter new target falls due at once."""
    over = c.used_seconds >= c.target_seconds  # then `due_at` is the instant it ran out: kept as it is
    if c.state != "running" or c.running_since is None:
        c.next_alert_at = None
        if c.state == "paused" and not over:
            c.due_at = None  # unknown until it runs again; a stopped clock keeps the due time it had
        return
    cal = _cal(c)
    if not over:
        c.due_at = businesstime.add_business_seconds(cal, c.running_since, c.target_seconds - c.used_seconds)
    if c.next_alert_percent is None:
        c.next_alert_at = None
        return
    at_used = -(-c.target_seconds * c.next_alert_percent // 100)  # the business second it falls on
    c.next_alert_at = businesstime.add_business_seconds(
        cal, c.running_since, max(at_used - c.used_seconds, 0)
    )


def start(
    session: Session, *, record_type: str, record_id: uuid.UUID, facts: Facts, at: datetime | None = None
) -> list[SlaClock]:
    """Start a record's clocks under the policy its facts choose (none: no clocks)."""
    at = at or clock.now()
    chosen = choose_policy(session, facts)
    if chosen is None:
        return []
    known = _RULES.get(session).calendars
    calendars = {n: known[n] for n in sorted({t["calendar"] for t in chosen.targets.values()}) if n in known}
    target = chosen.targets[facts.priority]
    made = []
    for metric in METRICS:
        c = SlaClock(
            id=uuid.uuid4(),
            record_type=record_type,
            record_id=record_id,
            metric=metric,
            state="running",
            policy_id=chosen.id,
            policy_name=chosen.name,
            targets=chosen.targets,
            calendars=calendars,
            priority=facts.priority,
            target_seconds=int(target[metric]),
            calendar_name=target["calendar"],
            started_at=at,
            running_since=at,
            used_seconds=0,
            paused_seconds=0,
            next_alert_percent=THRESHOLDS[0],
        )
        _schedule(c)
        session.add(c)
        _event(
            session, c, "start", at, policy=chosen.name, priority=facts.priority, target=c.target_seconds,
            calendar=c.calendar_name,
        )  # fmt: skip
        made.append(c)
    return made


def _clocks(
    session: Session, record_type: str, record_id: uuid.UUID, metrics: Iterable[str]
) -> list[SlaClock]:
    query = select(SlaClock).where(
        SlaClock.record_type == record_type,
        SlaClock.record_id == record_id,
        SlaClock.metric.in_(list(metrics)),
    )
    return list(session.scalars(query.order_by(SlaClock.metric)))


def pause(
    session: Session,
    *,
    record_type: str,
    record_id: uuid.UUID,
    at: datetime | None = None,
    metrics: Sequence[str] = METRICS,
) -> None:
    at = at or clock.now()
    for c in _clocks(session, record_type, record_id, metrics):
        if c.state != "running":
            continue
        c.used_seconds = _used(c, at)
        c.state, c.running_since, c.paused_since = "paused", None, at
        if c.used_seconds > c.target_seconds and c.breached_at is None:
            c.breached_at = c.due_at or at  # ran out before the pause (the sweep may not have seen it)
        _schedule(c)
        _event(session, c, "pause", at, used=c.used_seconds)


def resume(
    session: Session,
    *,
    record_type: str,
    record_id: uuid.UUID,
    at: datetime | None = None,
    metrics: Sequence[str] = METRICS,
) -> None:
    at = at or clock.now()
    for c in _clocks(session, record_type, record_id, metrics):
        if c.state != "paused":
            continue
        if c.paused_since is not None:
            c.paused_seconds += int((at - c.paused_since).total_seconds())
        c.state, c.running_since, c.paused_since = "running", at, None
        _schedule(c)
        _event(session, c, "resume", at, used=c.used_seconds)


def stop(
    session: Session,
    *,
    record_type: str,
    record_id: uuid.UUID,
    metrics: Sequence[str],
    at: datetime | None = None,
) -> None:
    """The clock's goal is reached (acknowledged, resolved) or the record ended: met or breached."""
    at = at or clock.now()
    for c in _clocks(session, record_type, record_id, metrics):
        if c.state == "stopped":
            continue
        if c.state == "paused" and c.paused_since is not None:
            c.paused_seconds += int((at - c.paused_since).total_seconds())
        c.used_seconds = _used(c, at)
        c.state, c.running_since, c.paused_since, c.stopped_at = "stopped", None, None, at
        if c.used_seconds > c.target_seconds and c.breached_at is None:
            c.breached_at = at
        _schedule(c)
        _event(session, c, "stop", at, used=c.used_seconds, met=c.used_seconds <= c.target_seconds)


def restart(
    session: Session,
    *,
    record_type: str,
    record_id: uuid.UUID,
    metrics: Sequence[str],
    at: datetime | None = None,
) -> None:
    """A stopped clock runs again (a reopened record), keeping the time it had used."""
    at = at or clock.now()
    for c in _clocks(session, record_type, record_id, metrics):
        if c.state != "stopped":
            continue
        c.state, c.running_since, c.stopped_at = "running", at, None
        _schedule(c)
        _event(session, c, "restart", at, used=c.used_seconds)


def retarget(
    session: Session, *, record_type: str, record_id: uuid.UUID, priority: str, at: datetime | None = None
) -> None:
    """A new priority: the targets snapshotted at the start for it, counted from the original start
    (the business time already used is kept). A stopped clock keeps the target it was judged by."""
    at = at or clock.now()
    for c in _clocks(session, record_type, record_id, METRICS):
        new = c.targets.get(priority)
        if c.state == "stopped" or new is None or priority == c.priority:
            continue
        if c.state == "running":
            c.used_seconds, c.running_since = _used(c, at), at
        old = c.target_seconds
        c.priority, c.target_seconds, c.calendar_name = priority, int(new[c.metric]), new["calendar"]
        if c.used_seconds >= c.target_seconds:  # already out under the new target: since when?
            c.due_at = _crossing(session, c, c.target_seconds, at)
            c.breached_at = c.breached_at or c.due_at
        else:
            c.breached_at = None  # judged by the new, longer target from the original start
        _schedule(c)
        _event(
            session, c, "retarget", at, priority=priority, target=c.target_seconds, previous=old,
            calendar=c.calendar_name,
        )  # fmt: skip


def view(c: SlaClock, at: datetime | None = None) -> ClockView:
    at = at or clock.now()
    used = _used(c, at)
    paused = c.paused_seconds + (int((at - c.paused_since).total_seconds()) if c.paused_since else 0)
    breached = used > c.target_seconds or c.breached_at is not None
    if c.state == "stopped":
        state = "breached" if breached else "met"
    else:
        state = "breached" if breached else c.state
    return ClockView(
        metric=c.metric,
        state=state,
        policy=c.policy_name,
        priority=c.priority,
        calendar=c.calendar_name,
        target_seconds=c.target_seconds,
        started_at=c.started_at,
        due_at=c.due_at,
        stopped_at=c.stopped_at,
        elapsed_seconds=used,
        paused_seconds=paused,
        remaining_seconds=c.target_seconds - used,
        percent_used=round(100 * used / c.target_seconds, 1) if c.target_seconds else 100.0,
        wall_seconds=int((c.stopped_at - c.started_at).total_seconds()) if c.stopped_at else None,
        breached=breached,
    )


def views(
    session: Session, record_type: str, record_ids: Sequence[uuid.UUID], at: datetime | None = None
) -> dict[uuid.UUID, dict[str, ClockView]]:
    """Every clock of these records, in one query: {record id: {metric: view}}."""
    out: dict[uuid.UUID, dict[str, ClockView]] = {}
    if not record_ids:
        return out
    at = at or clock.now()
    rows = session.scalars(
        select(SlaClock).where(SlaClock.record_type == record_type, SlaClock.record_id.in_(list(record_ids)))
    )
    for c in rows:
        out.setdefault(c.record_id, {})[c.metric] = view(c, at)
    return out


def history(session: Session, record_type: str, record_id: uuid.UUID) -> list[tuple[str, SlaClockEvent]]:
    """A record's clock events, oldest first, as (metric, event)."""
    rows = session.execute(
        select(SlaClock.metric, SlaClockEvent)
        .join(SlaClockEvent, SlaClockEvent.clock_id == SlaClock.id)
        .where(SlaClock.record_type == record_type, SlaClock.record_id == record_id)
        .order_by(SlaClockEvent.at, SlaClock.metric)
    )
    return sorted(((metric, event) for metric, event in rows), key=lambda r: (r[1].at, r[0], _percent(r[1])))


def _percent(event: SlaClockEvent) -> int:
    """Thresholds one sweep emits together share its time: they are told in their order (75, 90, 100)."""
    return int((event.data or {}).get("percent") or 0)


def sweep(session: Session, *, at: datetime | None = None, limit: int = 500) -> int:
    """Emit the thresholds now due (each once: the row is locked and its next alert moved in the same
    transaction; `SKIP LOCKED` lets several workers share the work on PostgreSQL). Returns how many."""
    at = at or clock.now()
    query = (
        select(SlaClock)
        .where(SlaClock.next_alert_at <= at)
        .order_by(SlaClock.next_alert_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    reached: list[SlaThresholdReached] = []
    rows: list[dict[str, Any]] = []  # the clocks' events, written in one INSERT (no ORM objects)
    for c in session.scalars(query):
        if c.state != "running":  # not reachable through this module: a stopped clock has no alert
            c.next_alert_at = None
            continue
        # Every threshold already passed, in order (a clock found late, after a worker was down or
        # a long target changed, has its warnings and breach emitted together, each once).
        while c.next_alert_percent is not None and c.next_alert_at is not None and c.next_alert_at <= at:
            percent = c.next_alert_percent
            kind = "breach" if percent >= 100 else "warning"
            rows.append(
                {"id": uuid.uuid4(), "clock_id": c.id, "kind": kind, "at": at, "data": {"percent": percent}}
            )
            if percent >= 100 and c.breached_at is None:
                c.breached_at = c.due_at or at
            reached.append(
                SlaThresholdReached(
                    clock_id=c.id,
                    record_type=c.record_type,
                    record_id=c.record_id,
                    metric=c.metric,
                    percent=percent,
                    due_at=(c.due_at or at).isoformat(),
                )
            )
            c.next_alert_percent = next((p for p in THRESHOLDS if p > percent), None)
            _schedule(c)
    session.flush()  # the clocks' updates, batched
    if rows:
        session.execute(insert(SlaClockEvent), rows)
    events.emit_many(session, reached)
    return len(reached)


@dataclass(frozen=True)
class Explanation:
    """Why a clock's due time is what it is: the policy, the calendar, each event, and the spans of
    business time counted (the working time inside each running period)."""

    view: ClockView
    calendar: dict[str, Any]
    events: list[SlaClockEvent]
    spans: list[tuple[datetime, datetime]]


_RUNS = {"start", "resume", "restart"}
_HALTS = {"pause", "stop"}


def _events(session: Session, c: SlaClock) -> list[SlaClockEvent]:
    query = select(SlaClockEvent).where(SlaClockEvent.clock_id == c.id)
    return sorted(
        session.scalars(query.order_by(SlaClockEvent.at, SlaClockEvent.id)), key=lambda e: (e.at, _percent(e))
    )


def _periods(
    c: SlaClock, events_: Sequence[SlaClockEvent], at: datetime
) -> list[tuple[str, datetime, datetime]]:
    """The clock's running periods from its history, each with the calendar it ran on:
    (calendar name, from, to); the last one runs to `at` if the clock still runs."""
    out: list[tuple[str, datetime, datetime]] = []
    since: datetime | None = None
    calendar_name = c.calendar_name
    for e in events_:
        if e.kind == "start":
            calendar_name = e.data.get("calendar", calendar_name)
        if e.kind in _RUNS and since is None:
            since = e.at
        elif e.kind == "retarget":
            if since is not None:  # the calendar may change here
                out.append((calendar_name, since, e.at))
                since = e.at
            calendar_name = e.data.get("calendar", calendar_name)
        elif e.kind in _HALTS and since is not None:
            out.append((calendar_name, since, e.at))
            since = None
    if since is not None:
        out.append((calendar_name, since, max(at, since)))
    return out


def _crossing(session: Session, c: SlaClock, seconds: int, at: datetime) -> datetime:
    """The instant the clock had used `seconds` of business time, replayed from its history."""
    used = 0
    for name, since, until in _periods(c, _events(session, c), at):
        cal = calendar_of(c.calendars[name])
        part = businesstime.business_seconds(cal, since, until)
        if used + part >= seconds:
            return businesstime.add_business_seconds(cal, since, seconds - used)
        used += part
    return at


def explain(
    session: Session, *, record_type: str, record_id: uuid.UUID, at: datetime | None = None
) -> list[Explanation]:
    at = at or clock.now()
    out = []
    for c in _clocks(session, record_type, record_id, METRICS):
        events_ = _events(session, c)
        spans: list[tuple[datetime, datetime]] = []
        for name, since, until in _periods(c, events_, at):
            spans += businesstime.working_spans(calendar_of(c.calendars[name]), since, until)
        out.append(
            Explanation(view=view(c, at), calendar=c.calendars[c.calendar_name], events=events_, spans=spans)
        )
    return out


# --- queue predicates: which records are breached or at risk, and when each is next due -----------


def breached_clause(record_type: str, record_id: Any, at: datetime) -> ColumnElement[bool]:
    """Records with a clock past its target: breached when stopped, or running past its due time."""
    return exists().where(
        SlaClock.record_type == record_type,
        SlaClock.record_id == record_id,
        or_(SlaClock.breached_at.is_not(None), and_(SlaClock.state == "running", SlaClock.due_at <= at)),
    )


def at_risk_clause(record_type: str, record_id: Any, at: datetime) -> ColumnElement[bool]:
    """Records with a running clock not yet breached that has used the first warning's share (75 %)
    of its target: the warning is due or already emitted."""
    first = THRESHOLDS[0]
    return exists().where(
        SlaClock.record_type == record_type,
        SlaClock.record_id == record_id,
        SlaClock.state == "running",
        SlaClock.breached_at.is_(None),
        SlaClock.due_at > at,
        or_(
            SlaClock.next_alert_percent > first,
            and_(SlaClock.next_alert_percent == first, SlaClock.next_alert_at <= at),
        ),
    )


#: Clocks not stopped: a paused one has a due time only once it ran out (it stays due, late).
_TICKING = ("running", "paused")


def next_due(record_type: str, record_id: Any) -> tuple[type[SlaClock], ColumnElement[bool]]:
    """For a sort by the soonest due time: the clock to join (an alias of `SlaClock`) and the join
    condition picking, per record, its unstopped clock due first (records with none drop out)."""
    mine = aliased(SlaClock, name="next_due")
    other = aliased(SlaClock, name="other_due")
    sooner = exists().where(
        other.record_type == mine.record_type,
        other.record_id == mine.record_id,
        other.state.in_(_TICKING),
        or_(other.due_at < mine.due_at, and_(other.due_at == mine.due_at, other.metric < mine.metric)),
    )
    on = and_(
        mine.record_type == record_type,
        mine.record_id == record_id,
        mine.state.in_(_TICKING),
        mine.due_at.is_not(None),
        ~sooner,
    )
    return mine, on


def soonest_due(clocks: Iterable[SlaClock]) -> datetime | None:
    """What `next_due` sorts a record by, from its loaded clocks."""
    return min((c.due_at for c in clocks if c.state in _TICKING and c.due_at is not None), default=None)


# --- repair: recompute clocks from their history under the current policies and calendars --------


@dataclass(frozen=True)
class Recomputed:
    """One clock whose figures changed: what it showed before and after."""

    clock_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    metric: str
    due_before: datetime | None
    due_after: datetime | None
    used_before: int
    used_after: int
    breached_before: bool
    breached_after: bool


def recompute_batch(
    session: Session,
    *,
    since: datetime | None = None,
    after: uuid.UUID | None = None,
    limit: int = 200,
    at: datetime | None = None,
) -> tuple[list[Recomputed], uuid.UUID | None, int]:
    """Recompute one batch of clocks (started at or after `since`, ids after `after`) from their event
    history under the current definition of their policy and calendars: a fixed calendar or target
    applies to the time already counted. Returns (what changed, the last id for the next batch or None
    when done, how many clocks were looked at). Thresholds already emitted are not emitted again; one
    now due falls due at the next sweep."""
    at = at or clock.now()
    query = select(SlaClock).order_by(SlaClock.id).limit(limit).with_for_update()
    if since is not None:
        query = query.where(SlaClock.started_at >= since)
    if after is not None:
        query = query.where(SlaClock.id > after)
    rows = list(session.scalars(query))
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    calendars = {r.name: definition(r) for r in session.scalars(select(SlaCalendar))}
    changed = []
    for c in rows:
        before = (
            c.due_at,
            c.used_seconds if c.state != "running" else _used(c, at),
            c.breached_at is not None,
        )
        policy = policies.get(c.policy_id) if c.policy_id else None
        if policy is not None:
            c.targets = policy.targets
        c.calendars = {name: calendars.get(name, defn) for name, defn in c.calendars.items()}
        for target in c.targets.values():
            name = target["calendar"]
            if name not in c.calendars and name in calendars:
                c.calendars = {**c.calendars, name: calendars[name]}
        target = c.targets.get(c.priority)
        if target is not None and target["calendar"] in c.calendars:
            c.target_seconds, c.calendar_name = int(target[c.metric]), target["calendar"]
        _replay(session, c, at)
        after_ = (
            c.due_at,
            c.used_seconds if c.state != "running" else _used(c, at),
            c.breached_at is not None,
        )
        if after_ != before:
            _event(
                session, c, "recompute", at, used=after_[1], previous_used=before[1], target=c.target_seconds
            )
            changed.append(
                Recomputed(
                    clock_id=c.id, record_type=c.record_type, record_id=c.record_id, metric=c.metric,
                    due_before=before[0], due_after=after_[0], used_before=before[1], used_after=after_[1],
                    breached_before=before[2], breached_after=after_[2],
                )
            )  # fmt: skip
    session.flush()
    last = rows[-1].id if len(rows) == limit else None
    return changed, last, len(rows)


def _replay(session: Session, c: SlaClock, at: datetime) -> None:
    """Used time, due time, breach and next threshold of a clock, from its running periods."""
    periods = _periods(c, _events(session, c), at)
    closed = periods if c.state != "running" else periods[:-1]
    used = 0
    for name, since, until in closed:
        used += businesstime.business_seconds(calendar_of(c.calendars[name]), since, until)
    c.used_seconds = used
    if c.state == "running" and periods:
        c.running_since = periods[-1][1]
    over = _used(c, at) > c.target_seconds if c.state == "running" else used > c.target_seconds
    if over or used >= c.target_seconds:
        c.due_at = _crossing(session, c, c.target_seconds, at)
    elif c.state == "stopped" and periods:  # the due time it had when it last ran
        name, since, until = periods[-1]
        cal = calendar_of(c.calendars[name])
        before_last = used - businesstime.business_seconds(cal, since, until)
        c.due_at = businesstime.add_business_seconds(cal, since, c.target_seconds - before_last)
    c.breached_at = (c.breached_at or c.due_at) if over else None
    done = [p for p in THRESHOLDS if _used(c, at) * 100 >= p * c.target_seconds]
    wanted = next((p for p in THRESHOLDS if p not in done), None)
    if c.next_alert_percent is not None:  # only ever up: nothing emitted is emitted again
        c.next_alert_percent = max(c.next_alert_percent, wanted if wanted is not None else THRESHOLDS[-1])
    _schedule(c)

"""`vigil sla ...`: list, show, add and change SLA calendars and policies, on the local database or on a
server (`vigil login`), through the library's `v.sla`; `recompute` works on a local database only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session

from vigil.cli_support import DB_OPT, JSON_OPT, call, fail_on, print_json, run, timestamp, validated
from vigil.core.actor import Actor
from vigil.core.errors import Invalid
from vigil.sla import admin, text
from vigil.sla.library import Sla
from vigil.sla.schemas import (
    CalendarCreate,
    CalendarRead,
    PolicyRead,
    WeekPreview,
)

app = typer.Typer(help="SLA calendars and policies: list, show and change them.", no_args_is_help=True)
calendar_app = typer.Typer(help="One SLA calendar: show or create it.", no_args_is_help=True)
policy_app = typer.Typer(help="One SLA policy: show or change it.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(policy_app, name="policy")


def _parsed(work: Any) -> Any:
    """A value typed on the command line, or the command stops naming the flag."""
    try:
        return work()
    except Invalid as exc:
        fail_on(exc)


@app.command("calendars")
def list_calendars(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """List SLA calendars."""
    rows = call(database, lambda t: Sla(t).calendars())
    if as_json:
        print_json({"items": rows})
        return
    table = Table("name", "time zone", "Monday", "Saturday", "holidays", "built in")
    for c in rows:
        holidays = "-".join(x for x in (c.country, c.subdivision) if x) or "-"
        table.add_row(
            c.name, c.timezone, text.format_hours(c.week[0]) or "-", text.format_hours(c.week[5]) or "-",
            holidays, "yes" if c.builtin else "",
        )  # fmt: skip
    Console(width=200).print(table)


def _show_week(preview: WeekPreview) -> None:
    table = Table("date", "day", "working hours (local)", "UTC", "hours")
    for d in preview.days:
        local = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in d.spans) or (
            "holiday" if d.holiday else "-"
        )
        utc = ", ".join(f"{s.start_utc:%H:%M}-{s.end_utc:%H:%M}" for s in d.spans) or "-"
        table.add_row(d.date.isoformat(), d.weekday[:3], local, utc, f"{d.seconds / 3600:g}")
    Console(width=200).print(table)


@calendar_app.command("show")
def show_calendar(
    name: str = typer.Argument(..., help="The calendar's name."),
    week: str = typer.Option(None, "--week", help="Also show the week holding this date (YYYY-MM-DD)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Show a calendar and, with --week, the working hours of one week."""
    day = _parsed(lambda: _date(week, "week")) if week else None

    def work(t: Any) -> tuple[CalendarRead, WeekPreview | None]:
        return Sla(t).calendar(name), Sla(t).week(name, day) if day else None

    read, preview = call(database, work)
    if as_json:
        print_json({**read.model_dump(), **({"week_preview": preview} if preview else {})})
        return
    console = Console(width=200)
    console.print(f"[bold]{read.name}[/bold] ({read.timezone}){' built in' if read.builtin else ''}")
    for i, day_name in enumerate(text.DAYS):
        console.print(f"  {day_name}: {text.format_hours(read.week[i]) or '-'}")
    holidays = "-".join(x for x in (read.country, read.subdivision) if x)
    console.print(f"  public holidays: {holidays or '-'}")
    console.print(f"  extra holidays: {', '.join(d.isoformat() for d in read.extra_holidays) or '-'}")
    halves = ", ".join(f"{d} {text.format_hours(v)}" for d, v in read.half_days.items())
    console.print(f"  half-days: {halves or '-'}")
    if preview:
        _show_week(preview)


#: What the calendar's fields are called on `vigil sla calendar create`.
CALENDAR_FLAGS = {"week": "hours", "extra_holidays": "holiday", "half_days": "half_day"}


def _as_flags(exc: Invalid) -> Invalid:
    """The same refusal, its fields named as the command's options (`week.2.0` is `--hours`, Wednesday)."""
    items = []
    for item in exc.errors:
        parts = str(item.get("field", "")).split(".")
        message = str(item.get("message", ""))
        if parts[0] == "week" and len(parts) > 1 and parts[1].isdigit():
            message = f"{text.DAYS[int(parts[1])]}: {message}"
        items.append({"field": CALENDAR_FLAGS.get(parts[0], parts[0]), "message": message})
    return Invalid(exc.detail, errors=items)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{value!r} is not a date such as 2026-12-24.", field=field) from None


def _half_days(values: list[str]) -> dict[str, list[list[int]]]:
    out = {}
    for item in values:
        day, sep, hours = item.partition("=")
        if not sep:
            raise Invalid(f"{item!r} is not DATE=HH:MM-HH:MM.", field="half_day")
        out[_date(day, "half_day").isoformat()] = text.parse_hours(hours, "half_day")
    return out


@calendar_app.command("create")
def create_calendar(
    name: str = typer.Argument(..., help="The calendar's name."),
    timezone: str = typer.Option(..., "--timezone", help="IANA time zone, such as Europe/Berlin."),
    hours: list[str] = typer.Option(
        ..., "--hours", help='Working hours: "mon-fri 09:00-18:00" (repeatable).'
    ),
    country: str = typer.Option(None, "--country", help="Public holidays of this country (ISO code)."),
    subdivision: str = typer.Option(None, "--subdivision", help="And of this subdivision (state)."),
    holiday: list[str] = typer.Option(None, "--holiday", help="A further day off, YYYY-MM-DD (repeatable)."),
    half_day: list[str] = typer.Option(
        None, "--half-day", help="A day with its own hours: 2026-12-24=09:00-13:00 (repeatable)."
    ),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Add a calendar (administrators)."""
    fields = _parsed(
        lambda: {
            "name": name,
            "timezone": timezone,
            "week": text.parse_week(hours),
            "country": country,
            "subdivision": subdivision,
            "extra_holidays": [_date(h, "holiday").isoformat() for h in holiday or []],
            "half_days": _half_days(half_day or []),
        }
    )
    data = validated(CalendarCreate, fields)

    def work(t: Any) -> CalendarRead:
        try:
            return Sla(t).create_calendar(**data.model_dump(exclude_unset=True))
        except Invalid as exc:
            raise _as_flags(exc) from None

    read = call(database, work)
    if as_json:
        print_json(read)
    else:
        typer.echo(f"created SLA calendar {read.name} ({read.timezone})")


def _target_cell(policy: PolicyRead, priority: str) -> str:
    t = policy.targets.get(priority)
    if t is None:
        return "-"
    return f"{text.format_duration(t.response)}/{text.format_duration(t.resolution)}@{t.calendar}"


@app.command("policies")
def list_policies(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """List SLA policies in the order they are tried."""
    rows = call(database, lambda t: Sla(t).policies())
    if as_json:
        print_json({"items": rows})
        return
    table = Table("position", "name", "active", "P1", "P2", "P3", "P4")
    for p in rows:
        table.add_row(
            str(p.position),
            p.name,
            "yes" if p.active else "no",
            *(_target_cell(p, x) for x in "P1 P2 P3 P4".split()),
        )
    Console(width=200).print(table)


def _show_policy(read: PolicyRead, as_json: bool) -> None:
    if as_json:
        print_json(read)
        return
    console = Console(width=200)
    state = "active" if read.active else "inactive"
    console.print(
        f"[bold]{read.name}[/bold] position {read.position}, {state}{', built in' if read.builtin else ''}"
    )
    for priority in ("P1", "P2", "P3", "P4"):
        console.print(f"  {priority}: {_target_cell(read, priority)}  (response/resolution@calendar)")
    conditions = "; ".join(f"{k} in {', '.join(v)}" for k, v in read.conditions.items())
    console.print(f"  conditions: {conditions or 'none (every record)'}")


@policy_app.command("show")
def show_policy(
    name: str = typer.Argument(..., help="The policy's name."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Show a policy's targets and conditions."""
    _show_policy(call(database, lambda t: Sla(t).policy(name)), as_json)


def _target(spec: str) -> tuple[str, dict[str, Any]]:
    """ "P1=15m/4h@24x7" as ("P1", {"response": 900, "resolution": 14400, "calendar": "24x7"})."""
    priority, sep, rest = spec.partition("=")
    times, at, calendar = rest.partition("@")
    response, slash, resolution = times.partition("/")
    if not (sep and at and slash and calendar.strip()):
        raise Invalid(
            f"{spec!r} is not PRIORITY=RESPONSE/RESOLUTION@CALENDAR, such as P1=15m/4h@24x7.", field="targets"
        )
    field = f"targets.{priority.strip().upper()}"
    return priority.strip().upper(), {
        "response": text.parse_duration(response, f"{field}.response"),
        "resolution": text.parse_duration(resolution, f"{field}.resolution"),
        "calendar": calendar.strip(),
    }


@policy_app.command("set")
def set_policy(
    name: str = typer.Argument(..., help="The policy's name."),
    active: bool = typer.Option(None, "--active/--inactive", help="Apply the policy, or stop applying it."),
    position: int = typer.Option(None, "--position", help="Where it is tried (lowest first)."),
    target: list[str] = typer.Option(
        None, "--target", help="Change one priority's targets: P1=15m/4h@24x7 (repeatable)."
    ),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Change a policy (administrators); clocks already running keep the targets they started with."""
    changed = _parsed(lambda: dict(_target(t) for t in target or []))

    def work(t: Any) -> PolicyRead:
        fields: dict[str, Any] = {"active": active, "position": position}
        if changed:
            current = Sla(t).policy(name)  # --target changes one priority: the others are sent unchanged
            targets = {p: x.model_dump() for p, x in current.targets.items()}
            fields |= {"targets": {**targets, **changed}, "version": current.version}
        return Sla(t).update_policy(name, **{k: v for k, v in fields.items() if v is not None})

    _show_policy(call(database, work), as_json)


@app.command()
def recompute(
    since: str = typer.Option(None, help="Only clocks started on or after this date (YYYY-MM-DD)."),
    batch: int = typer.Option(200, min=1, max=5000, help="Clocks per transaction."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Repair clocks after a policy or calendar fix: replay each clock's history under the current
    definitions, in batches (one transaction each), and report what changed."""
    start = datetime.combine(_parsed(lambda: _date(since, "since")), time(), UTC) if since else None
    total = run(database, lambda s, a: admin.clock_count(session=s, actor=a, since=start))
    changed: list[dict[str, Any]] = []
    after: uuid.UUID | None = None
    looked = 0
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("Recomputing clocks", total=total or 1)
        while True:

            def one(s: Session, a: Actor, after: uuid.UUID | None = after) -> Any:
                return admin.recompute(session=s, actor=a, since=start, after=after, limit=batch)

            found, last, seen = run(database, one)
            looked += seen
            changed += [
                {
                    "record_type": r.record_type,
                    "record_id": str(r.record_id),
                    "metric": r.metric,
                    "due_before": r.due_before,
                    "due_after": r.due_after,
                    "used_before": r.used_before,
                    "used_after": r.used_after,
                    "breached_before": r.breached_before,
                    "breached_after": r.breached_after,
                }  # fmt: skip
                for r in found
            ]
            bar.advance(task, seen)
            if last is None:
                break
            after = last
    if as_json:
        print_json({"looked_at": looked, "changed": changed})
        return
    console = Console()
    console.print(f"{looked} clocks looked at, {len(changed)} changed.")
    for c in changed[:50]:
        due = f"due {timestamp(c['due_before']) if c['due_before'] else '-'} -> {timestamp(c['due_after']) if c['due_after'] else '-'}"
        flag = (
            " (now breached)"
            if c["breached_after"] and not c["breached_before"]
            else (" (no longer breached)" if c["breached_before"] and not c["breached_after"] else "")
        )
        console.print(f"  {c['record_type']} {c['record_id']} {c['metric']}: {due}{flag}")
    if len(changed) > 50:
        console.print(f"  ... and {len(changed) - 50} more (--json lists them all)")

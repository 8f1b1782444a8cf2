"""SLA values as people type them: working hours ("09:00-12:00, 13:00-18:00"), weekday ranges
("mon-fri") and durations ("15m", "4h", "2d"). Pure; a bad value is `Invalid` naming the field."""

from __future__ import annotations

import re

from vigil.core.errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")
UNITS = {"s": 1, "": 1, "m": 60, "h": 3600, "d": 86400}


def minute_of(text: str, field: str) -> int:
    match = _TIME.match(text.strip())
    if not match or int(match.group(2)) > 59 or int(match.group(1)) > 24:
        raise Invalid(f"{text.strip()!r} is not a time of day such as 09:00.", field=field)
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if minute > 1440:
        raise Invalid(f"{text.strip()!r} is after 24:00.", field=field)
    return minute


def parse_hours(text: str, field: str = "hours") -> list[list[int]]:
    """ "09:00-12:00, 13:00-18:00" as [[540, 720], [780, 1080]]; blank is no working time."""
    out = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise Invalid(f"{part!r} is not a range such as 09:00-18:00.", field=field)
        out.append([minute_of(start, field), minute_of(end, field)])
    return out


def clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_hours(intervals: list[list[int]] | list[tuple[int, int]]) -> str:
    return ", ".join(f"{clock_time(a)}-{clock_time(b)}" for a, b in intervals)


def parse_days(text: str, field: str = "hours") -> list[int]:
    """ "mon-fri" or "sat,sun" or "wed" as weekday numbers (0 is Monday)."""
    days: list[int] = []
    for part in text.split(","):
        first, sep, last = part.strip().lower().partition("-")
        if first[:3] not in DAYS or (sep and last[:3] not in DAYS):
            raise Invalid(f"{text!r} is not a weekday range such as mon-fri.", field=field)
        a = DAYS.index(first[:3])
        b = DAYS.index(last[:3]) if sep else a
        if b < a:
            raise Invalid(f"{text!r} runs backwards; write mon-fri, not fri-mon.", field=field)
        days.extend(range(a, b + 1))
    return days


def parse_week(specs: list[str], field: str = "hours") -> list[list[list[int]]]:
    """Each "mon-fri 09:00-18:00" spec sets those weekdays' hours; unnamed days have none."""
    week: list[list[list[int]]] = [[] for _ in range(7)]
    for spec in specs:
        days, _, hours = spec.strip().partition(" ")
        for day in parse_days(days, field):
            week[day] = parse_hours(hours, field)
    return week


def parse_duration(text: str, field: str) -> int:
    """ "15m", "4h", "2d" or plain seconds as seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise Invalid(f"{text!r} is not a duration such as 15m, 4h or 2d.", field=field)
    return int(match.group(1)) * UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The largest whole unit up to hours (900 as 15m, 14400 as 4h, 86400 as 24h): never days, which
    on a business-hours calendar people read as working days."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

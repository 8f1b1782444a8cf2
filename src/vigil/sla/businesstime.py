"""Business time: when a calendar's clock runs, and how much of it lies between two instants.

Pure (no database, no clock). One definition of working time everywhere: an instant is working
when its wall time in the calendar's zone falls inside a working interval of its local date. A
holiday has none; a half-day has its own. Around a DST change this means an interval counts the
real seconds that pass on the wall: a spring-forward day's 02:00-03:00 gap has none, and a fall-back
night's repeated hour counts twice if it is working time (both passes are worked).

Instants are timezone-aware datetimes (anything other than UTC is converted). Results are in UTC.
"""

from __future__ import annotations

import bisect
import functools
import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from vigil.core.errors import Invalid

Interval = tuple[int, int]  # [start, end) minutes of the local day, end up to 1440 (24:00)

DAY_MINUTES = 24 * 60
#: How far a wall time can be from UTC: offsets run from -12:00 to +14:00; a margin on both sides.
_BEFORE = 15 * 3600
_AFTER = 13 * 3600
_PROBE = 3 * 3600
#: A calendar that has no working time within this many days of an instant is treated as broken.
_HORIZON_DAYS = 3 * 366
_EPOCH_DAY = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Calendar:
    """A validated calendar. Build one with `Calendar.build`; it is hashable, so per-day working
    spans are computed once and cached."""

    timezone: str
    week: tuple[tuple[Interval, ...], ...]  # seven days, Monday first
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    half_days: tuple[tuple[date, tuple[Interval, ...]], ...] = ()

    @classmethod
    def build(
        cls,
        timezone: str,
        week: Mapping[int, Sequence[Sequence[int]]],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        extra_holidays: Sequence[date] = (),
        half_days: Mapping[date, Sequence[Sequence[int]]] | None = None,
    ) -> Calendar:
        """Check and freeze a definition; a fault is `Invalid` naming the field."""
        if not isinstance(timezone, str) or not timezone or timezone not in _zones():
            raise Invalid(
                f"Unknown time zone {timezone!r}: use an IANA name such as Europe/Berlin.", field="timezone"
            )
        days = []
        for day in range(7):
            days.append(_intervals(week.get(day, ()), f"week.{day}"))
        if any(k not in range(7) for k in week):
            raise Invalid("Weekdays are numbered 0 (Monday) to 6 (Sunday).", field="week")
        if not any(days):
            raise Invalid("A calendar needs some working time: every weekday is empty.", field="week")
        if subdivision and not country:
            raise Invalid("A subdivision needs a country.", field="subdivision")
        if country:
            _check_country(country, subdivision)
        halves = tuple(
            sorted((d, _intervals(v, f"half_days.{d.isoformat()}")) for d, v in (half_days or {}).items())
        )
        return cls(
            timezone=timezone,
            week=tuple(days),
            country=country or None,
            subdivision=subdivision or None,
            extra_holidays=frozenset(extra_holidays),
            half_days=halves,
        )

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @functools.cached_property
    def _halves(self) -> dict[date, tuple[Interval, ...]]:
        return dict(self.half_days)

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        return bool(self.country) and day in _public_holidays(self.country or "", self.subdivision, day.year)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of a local date (after holidays and half-days)."""
        if day in self._halves:
            return self._halves[day]
        if self.is_holiday(day):
            return ()
        return self.week[day.weekday()]


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def _intervals(raw: Sequence[Sequence[int]], where: str) -> tuple[Interval, ...]:
    out: list[Interval] = []
    for i, item in enumerate(raw):
        try:
            start, end = (int(v) for v in item)
            if any(isinstance(v, bool) or int(v) != v for v in item):
                raise ValueError
        except (TypeError, ValueError):
            raise Invalid(
                "An interval is two minutes of the day, [start, end].", field=f"{where}.{i}"
            ) from None
        if not 0 <= start < end <= DAY_MINUTES:
            raise Invalid(
                f"An interval runs forward within the day (0 to 1440 minutes): {start}-{end} does not.",
                field=f"{where}.{i}",
            )
        out.append((start, end))
    out.sort()
    for (s1, e1), (s2, e2) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise Invalid(f"Intervals overlap: {s1}-{e1} and {s2}-{e2}.", field=where)
    return tuple(out)


def _check_country(country: str, subdivision: str | None) -> None:
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise Invalid(f"No public holidays are known for country {country!r}.", field="country")
    if subdivision and subdivision not in supported[country]:
        raise Invalid(f"{country} has no subdivision {subdivision!r}.", field="subdivision")


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


# --- working spans in UTC, as epoch seconds -------------------------------------------------------


def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _segments(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """[lo, hi) cut where the zone's UTC offset changes: (start, end, offset) each. The offset is
    probed every three hours and each change found to the second (zones change at most twice a year,
    never twice within three hours)."""
    out: list[tuple[int, int, int]] = []
    start, off = lo, _offset(zone, lo)
    prev = lo
    for probe in [*range(lo + _PROBE, hi, _PROBE), hi - 1]:
        while _offset(zone, probe) != off:  # a change in (prev, probe]: find its first second
            a, b = prev, probe
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == off:
                    a = mid
                else:
                    b = mid
            out.append((start, b, off))
            start, off, prev = b, _offset(zone, b), b
        prev = probe
    out.append((start, hi, off))
    return out


@functools.lru_cache(maxsize=65536)
def _day_spans(cal: Calendar, day: date) -> tuple[tuple[int, int], ...]:
    """The working spans of one local date, in UTC epoch seconds, sorted and merged."""
    intervals = cal.intervals_on(day)
    if not intervals:
        return ()
    midnight = (day.toordinal() - _EPOCH_DAY) * 86400  # the date's 00:00 wall time, as if it were UTC
    if cal.timezone == "UTC":
        return _merge((midnight + s * 60, midnight + e * 60) for s, e in intervals)
    spans = []
    for a, b, off in _segments(cal.zone, midnight - _BEFORE, midnight + 86400 + _AFTER):
        for s, e in intervals:
            lo, hi = max(a, midnight + s * 60 - off), min(b, midnight + e * 60 - off)
            if lo < hi:
                spans.append((lo, hi))
    return _merge(sorted(spans))


def _merge(spans: Iterator[tuple[int, int]] | list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _local_date(cal: Calendar, t: float) -> date:
    return datetime.fromtimestamp(t, cal.zone).date()


def _spans_from(cal: Calendar, t: float) -> Iterator[tuple[int, int]]:
    """Working spans, in order, of every local date from the one `t` falls on onwards (a span may
    start before `t`). Spans of different dates never overlap (an instant has one wall time) but can
    interleave in UTC (a fall-back across midnight), so a span is given once no later date can start
    before it."""
    day = _local_date(cal, t) - timedelta(days=2)
    pending: list[tuple[int, int]] = []
    empty = 0
    while True:
        spans = _day_spans(cal, day)
        empty = 0 if spans else empty + 1
        if empty > _HORIZON_DAYS:
            raise ValueError(f"The calendar has no working time for {_HORIZON_DAYS} days before {day}.")
        for s in spans:
            heapq.heappush(pending, s)
        day += timedelta(days=1)
        bound = (day.toordinal() - _EPOCH_DAY) * 86400 - _BEFORE  # no span of `day` or later starts before
        while pending and pending[0][0] < bound:
            yield heapq.heappop(pending)


def _ts(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("Business time needs timezone-aware instants.")
    return at.timestamp()


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def working_spans(cal: Calendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The working time inside [start, end), as UTC spans in order."""
    lo, hi = _ts(start), _ts(end)
    out: list[tuple[datetime, datetime]] = []
    if hi <= lo:
        return out
    for a, b in _spans_from(cal, lo):
        if a >= hi:
            break
        if b > lo:
            out.append((_dt(max(a, lo)), _dt(min(b, hi))))
    return out


def business_seconds(cal: Calendar, start: datetime, end: datetime) -> int:
    """Whole seconds of working time in [start, end) (0 when end is not after start)."""
    lo, hi = _ts(start), _ts(end)
    if hi <= lo:
        return 0
    total = 0.0
    for a, b in _spans_from(cal, lo):
        if a >= hi:
            break
        if b > lo:
            total += min(b, hi) - max(a, lo)
    return int(total + 1e-6)


def add_business_seconds(cal: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant by which `seconds` of working time have passed since `start` (`start` itself
    for none). It falls inside working time or at the end of a span."""
    lo = _ts(start)
    if seconds <= 0:
        return start.astimezone(UTC)
    left = float(seconds)
    for a, b in _spans_from(cal, lo):
        if b <= lo:
            continue
        a_ = max(a, lo)
        if b - a_ >= left:
            return _dt(a_ + left)
        left -= b - a_
    raise AssertionError("unreachable: _spans_from is endless")  # pragma: no cover


def is_working(cal: Calendar, at: datetime) -> bool:
    """Whether the calendar's clock runs at this instant."""
    t = _ts(at)
    day = _local_date(cal, t)
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):  # neighbours can interleave
        spans = _day_spans(cal, d)
        i = bisect.bisect_right(spans, (t, float("inf"))) - 1
        if i >= 0 and spans[i][0] <= t < spans[i][1]:
            return True
    return False


def week_preview(cal: Calendar, monday: date) -> list[tuple[date, list[tuple[datetime, datetime]]]]:
    """Each local date of the week from `monday`, with its working spans (in local time)."""
    out = []
    for i in range(7):
        day = monday + timedelta(days=i)
        out.append(
            (
                day,
                [(_dt(a).astimezone(cal.zone), _dt(b).astimezone(cal.zone)) for a, b in _day_spans(cal, day)],
            )
        )
    return out

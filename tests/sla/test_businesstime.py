"""The business-time module against a brute-force reference that walks minute by minute and asks
of each minute the definition itself: is its wall time, in the calendar's zone, inside a working
interval of its local date? Random calendars (several intervals a day, up to 24:00), holidays
(custom and a country's), half-days, pauses (a clock split into pieces), and windows around the DST
changes of the zones named in the issue, Lord Howe's 30-minute one among them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.core.errors import Invalid
from vigil.sla import businesstime as bt

ZONES = [
    "UTC",
    "Europe/Moscow",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Europe/London",
]
#: Days a DST change happens on in 2026 (New York, London, Lord Howe both ways), plus plain days.
PIVOTS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 6, 15),
]
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ref_working(cal: bt.Calendar, t: int) -> bool:
    local = datetime.fromtimestamp(t, cal.zone)
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in cal.intervals_on(local.date()))


def ref_seconds(cal: bt.Calendar, start: int, end: int) -> int:
    return 60 * sum(ref_working(cal, t) for t in range(start, end, 60))


def ref_add(cal: bt.Calendar, start: int, seconds: int) -> int:
    if seconds == 0:
        return start
    t, left = start, seconds
    while True:
        if ref_working(cal, t):
            left -= 60
            if left == 0:
                return t + 60
        t += 60


@st.composite
def intervals(draw: st.DrawFn, allow_empty: bool = True) -> list[list[int]]:
    cuts = sorted(draw(st.sets(st.integers(0, 1440), min_size=0 if allow_empty else 2, max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return [[cuts[i], cuts[i + 1]] for i in range(0, len(cuts), 2)]


@st.composite
def calendars(draw: st.DrawFn) -> tuple[bt.Calendar, int, int]:
    zone = draw(st.sampled_from(ZONES))
    week = {d: draw(intervals()) for d in range(7)}
    if not any(week.values()):
        week[0] = [[540, 1080]]
    pivot = draw(st.sampled_from(PIVOTS))
    start_day = pivot - timedelta(days=draw(st.integers(0, 3)))
    days = [start_day + timedelta(days=i) for i in range(6)]
    extra = draw(st.lists(st.sampled_from(days), max_size=2))
    halves = {d: draw(intervals()) for d in draw(st.lists(st.sampled_from(days), max_size=2, unique=True))}
    country = draw(st.sampled_from([None, None, "US", "RU", "GB", "IN", "AU"]))
    cal = bt.Calendar.build(zone, week, country=country, extra_holidays=extra, half_days=halves)
    start = int(datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC).timestamp())
    start += 60 * draw(st.integers(-24 * 60, 24 * 60))
    length = 60 * draw(st.integers(0, 4 * 24 * 60))
    return cal, start, start + length


def _at(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


@SETTINGS
@given(calendars())
def test_business_seconds_matches_the_minute_by_minute_reference(case: tuple[bt.Calendar, int, int]) -> None:
    cal, start, end = case
    assert bt.business_seconds(cal, _at(start), _at(end)) == ref_seconds(cal, start, end)


@SETTINGS
@given(calendars(), st.data())
def test_pauses_split_the_count_without_losing_or_adding_a_second(
    case: tuple[bt.Calendar, int, int], data: st.DataObject
) -> None:
    """A clock that runs, pauses and resumes counts what the reference counts over its running
    pieces, and the pieces of an unpaused stretch add up to the whole."""
    cal, start, end = case
    cuts = sorted(60 * m for m in data.draw(st.lists(st.integers(start // 60, end // 60), max_size=5)))
    points = [start, *cuts, end]
    pieces = list(zip(points, points[1:], strict=False))
    assert sum(bt.business_seconds(cal, _at(a), _at(b)) for a, b in pieces) == ref_seconds(cal, start, end)
    running = pieces[::2]  # every other piece is a pause
    counted = sum(bt.business_seconds(cal, _at(a), _at(b)) for a, b in running)
    assert counted == sum(ref_seconds(cal, a, b) for a, b in running)


@SETTINGS
@given(calendars(), st.integers(0, 24 * 60))
def test_add_business_seconds_finds_the_reference_due_time(
    case: tuple[bt.Calendar, int, int], minutes: int
) -> None:
    cal, start, _ = case
    due = bt.add_business_seconds(cal, _at(start), 60 * minutes)
    assert due == _at(ref_add(cal, start, 60 * minutes))
    assert bt.business_seconds(cal, _at(start), due) == 60 * minutes


@SETTINGS
@given(calendars())
def test_working_spans_are_exactly_the_working_minutes(case: tuple[bt.Calendar, int, int]) -> None:
    cal, start, end = case
    spans = bt.working_spans(cal, _at(start), _at(end))
    assert all(a < b for a, b in spans) and all(
        b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False)
    )
    inside = {int(t) for a, b in spans for t in range(int(a.timestamp()), int(b.timestamp()), 60)}
    assert inside == {t for t in range(start, end, 60) if ref_working(cal, t)}
    assert all(bt.is_working(cal, _at(t)) == (t in inside) for t in list(range(start, end, 60))[::97])


def test_a_spring_forward_day_counts_the_hour_that_never_happened_as_nothing() -> None:
    """New York jumps from 02:00 to 03:00 on 8 March 2026: a 24-hour calendar counts 23 hours."""
    cal = bt.Calendar.build("America/New_York", {d: [[0, 1440]] for d in range(7)})
    start = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # local midnight
    assert bt.business_seconds(cal, start, datetime(2026, 3, 9, 4, 0, tzinfo=UTC)) == 23 * 3600


def test_lord_howe_moves_half_an_hour() -> None:
    """Lord Howe goes from +11:00 to +10:30 on 5 April 2026 at 02:00: the 01:30-02:00 half hour is
    lived twice, so a working interval 01:00-03:00 holds 2 h 30 min of real time."""
    cal = bt.Calendar.build("Australia/Lord_Howe", {d: [[60, 180]] for d in range(7)})
    day_start = datetime(2026, 4, 4, 13, 0, tzinfo=UTC)  # 5 April 00:00 at +11:00
    assert bt.business_seconds(cal, day_start, day_start + timedelta(days=1)) == 150 * 60


def test_a_holiday_on_a_dst_day_has_no_working_time() -> None:
    week = {d: [[0, 1440]] for d in range(7)}
    cal = bt.Calendar.build("Europe/London", week, extra_holidays=[date(2026, 10, 25)])
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # London midnight, 25 October (BST)
    assert bt.business_seconds(cal, start, start + timedelta(hours=25)) == 0  # the day lasts 25 h
    assert bt.add_business_seconds(cal, start, 1) == datetime(2026, 10, 26, 0, 0, 1, tzinfo=UTC)


def test_country_holidays_come_from_the_holidays_package() -> None:
    cal = bt.Calendar.build("Europe/Moscow", {d: [[540, 1080]] for d in range(5)}, country="RU")
    assert cal.intervals_on(date(2026, 1, 2)) == ()  # the New Year holidays
    assert cal.intervals_on(date(2026, 1, 12)) == ((540, 1080),)  # a Monday
    friday_17 = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)  # 17:00 Moscow, a Thursday
    # at most an hour left on 31 December, then nothing until the New Year holidays are over
    due = bt.add_business_seconds(cal, friday_17, 2 * 3600)
    assert due.astimezone(cal.zone).date() > date(2027, 1, 8)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"week": {0: [[600, 540]]}}, "week.0.0"),
        ({"week": {0: [[540, 720], [700, 900]]}}, "week.0"),
        ({"week": {0: [[540, 1500]]}}, "week.0.0"),
        ({"week": {0: [["nine", 900]]}}, "week.0.0"),
        ({"week": {d: [] for d in range(7)}}, "week"),
        ({"country": "XX"}, "country"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision"),
        ({"half_days": {date(2026, 12, 24): [[720, 600]]}}, "half_days.2026-12-24.0"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field(kwargs: dict, field: str) -> None:
    args = {"timezone": "UTC", "week": {0: [[540, 1080]]}} | kwargs
    tz, week = args.pop("timezone"), args.pop("week")
    with pytest.raises(Invalid) as raised:
        bt.Calendar.build(tz, week, **args)
    assert raised.value.errors[0]["field"] == field


def test_intervals_may_end_at_midnight_and_touch() -> None:
    cal = bt.Calendar.build("UTC", {0: [[0, 720], [720, 1440]]})
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    assert bt.business_seconds(cal, monday, monday + timedelta(days=7)) == 86400
    assert bt.add_business_seconds(cal, monday + timedelta(hours=23), 7200) == monday + timedelta(
        days=7, hours=1
    )

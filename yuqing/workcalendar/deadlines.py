"""Deadline arithmetic on a tenant's business calendar. Pure: no Django, no database.

Everything comes in as arguments (the `Calendar` value object, aware datetimes, pause spans), so
the customers app (complaint due times) and the incidents app (SLA timers) share one set of rules
and the tests need no database.

Conventions
- Aware datetimes in, aware datetimes out, expressed in the calendar's time zone. Arithmetic is
  done in UTC, so a UTC input and a Shanghai output describe the same instant.
- A deadline is an instant: work done before it is in time, at or after it is late.
- Day clocks end at 24:00 of their last day, written as 00:00 of the following day (not
  23:59:59.999999): "end of day N" and "start of day N+1" are then the same instant, durations stay
  whole, and `now < deadline` is the whole in-time test.
- Which days are working days, first match wins: the tenant's override for that date; the State
  Council notice the tenant loaded for that year (`notice_days`, `notice_years`: the days it lists,
  Monday–Friday for the rest); the State Council schedule in the `chinese_calendar` package
  (2004–2026 in the pinned release); for a year the tenant declared fully loaded
  (`schedule_years`) Monday–Friday without a warning; the statutory holidays computed from the
  rules (`statutory.computed_holidays`, 2025–2100) plus weekends, reported as
  `Deadline.computed_years`, since the year's 调休 make-up working days are not known; else
  Monday–Friday as a guess, reported as `Deadline.fallback_years`. The UI shows both (`basis`).

The four clocks (`ClockKind`)
- 24x7: plain elapsed time (`amount` a timedelta).
- business_hours: only working hours (minus the lunch break) on working days count (timedelta).
- working_days: N working days (int). The day of receipt is not counted, whatever the hour; the
  deadline is 24:00 of the Nth working day after it.
- calendar_days: N calendar days (int), counted from the day after receipt (Civil Code Art. 201);
  when the last day is not a working day (statutory holiday or weekend rest day) the period ends
  at 24:00 of the next working day instead (Art. 203). Tenant overrides count here too: the
  tenant's calendar is taken as the authority on which days its office is closed.

Pauses
A pause stops the clock; the clock time that stood still is given back. "Clock time" is what the
clock counts: every instant for 24x7; working hours on working days for business_hours; whole days
after the day of receipt for calendar_days; whole working days after it for working_days. So a
pause during a Spring Festival holiday gives nothing back to a working-day or business-hours clock
and gives the holiday days back to a calendar-day clock. For the day clocks the time given back is
exact elapsed time, not rounded to whole days: a day clock paused from 10:00 on its last day to
15:00 three days later still had 14 hours of that day to run, and now ends 14 counted hours after
15:00. Rounding up to whole days would let a five-minute pause buy a day; rounding down would end
the clock inside the pause. Calendar-day clocks apply the Art. 203 roll-over to the day on which
the extended deadline falls. Pauses before the start, and pauses that begin after the clock ran
out, change nothing. An ongoing pause is passed with `now` as its end.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from yuqing.workcalendar import statutory

SHANGHAI = ZoneInfo("Asia/Shanghai")
_UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)
_MICROSECOND = dt.timedelta(microseconds=1)
# How far a computation may look ahead before it gives up: ten years of days.
MAX_DAYS_SCANNED = 3660

Span = tuple[dt.datetime, dt.datetime]


class ClockKind(enum.StrEnum):
    TWENTY_FOUR_SEVEN = "24x7"
    BUSINESS_HOURS = "business_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"

    @property
    def counts_days(self) -> bool:
        return self in (ClockKind.WORKING_DAYS, ClockKind.CALENDAR_DAYS)


class DaySource(enum.StrEnum):
    OVERRIDE = "override"  # the tenant's own dated entry
    STATUTORY = "statutory"  # the chinese_calendar package
    TENANT_SCHEDULE = "tenant_schedule"  # a year the tenant loaded completely as overrides
    NOTICE = "notice"  # the State Council notice the tenant loaded for the year
    COMPUTED = "computed"  # statutory days computed from the rules, no 调休 known: show a note
    FALLBACK = "fallback"  # Monday–Friday, guessed: show a warning


class Basis(enum.StrEnum):
    """What a deadline's working days rest on, worst first wins: what the UI tells the user."""

    ANNOUNCED = ""  # published schedules and the tenant's own entries only
    COMPUTED = "computed"  # some statutory holidays computed, make-up working days unknown
    FALLBACK = "fallback"  # some days guessed Monday–Friday


@dataclass(frozen=True)
class DayStatus:
    is_working: bool
    source: DaySource


@dataclass(frozen=True)
class WorkingHours:
    """The office day on a working day, in local wall time, with an optional lunch break."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 30)
    lunch_start: dt.time | None = None
    lunch_end: dt.time | None = None

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("Working hours must start before they end.")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValueError("A lunch break needs both a start and an end.")
        if self.lunch_start is not None and not (self.start <= self.lunch_start < self.lunch_end <= self.end):
            raise ValueError("The lunch break must lie inside the working hours.")

    def periods(self) -> tuple[tuple[dt.time, dt.time], ...]:
        if self.lunch_start is None or self.lunch_end is None:
            return ((self.start, self.end),)
        return tuple(p for p in ((self.start, self.lunch_start), (self.lunch_end, self.end)) if p[0] < p[1])


@functools.lru_cache(maxsize=8192)
def _statutory_is_workday(date: dt.date) -> bool | None:
    """The package's answer, or None for a year it has no data for."""
    try:
        return chinese_calendar.is_workday(date)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class Calendar:
    """A tenant's business calendar: working hours, time zone, and dated overrides (date → is working)."""

    hours: WorkingHours = field(default_factory=WorkingHours)
    overrides: Mapping[dt.date, bool] = field(default_factory=dict, hash=False)
    time_zone: dt.tzinfo = SHANGHAI
    # Years whose whole State Council schedule the tenant loaded as overrides.
    schedule_years: frozenset[int] = frozenset()
    # The days listed in the State Council notices the tenant loaded (date → is working), and the
    # years of those notices: their other days are plain Monday–Friday.
    notice_days: Mapping[dt.date, bool] = field(default_factory=dict, hash=False)
    notice_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "schedule_years", frozenset(self.schedule_years))
        object.__setattr__(self, "notice_days", MappingProxyType(dict(self.notice_days)))
        object.__setattr__(self, "notice_years", frozenset(self.notice_years))

    def day_status(self, date: dt.date) -> DayStatus:
        if date in self.overrides:
            return DayStatus(self.overrides[date], DaySource.OVERRIDE)
        weekday = date.weekday() < 5
        if date in self.notice_days:
            return DayStatus(self.notice_days[date], DaySource.NOTICE)
        if date.year in self.notice_years:
            return DayStatus(weekday, DaySource.NOTICE)
        package = _statutory_is_workday(date)
        if package is not None:
            return DayStatus(package, DaySource.STATUTORY)
        if date.year in self.schedule_years:
            return DayStatus(weekday, DaySource.TENANT_SCHEDULE)
        if statutory.is_computable(date.year):
            return DayStatus(weekday and date not in statutory.computed_holidays(date.year), DaySource.COMPUTED)
        return DayStatus(weekday, DaySource.FALLBACK)

    def has_schedule_for(self, year: int) -> bool:
        """False when the year's working days would be computed or guessed and need a note."""
        return self.year_basis(year) is Basis.ANNOUNCED

    def year_basis(self, year: int) -> Basis:
        """What the year's days rest on, leaving the tenant's single dated overrides aside."""
        if year in self.notice_years or year in self.schedule_years:
            return Basis.ANNOUNCED
        if _statutory_is_workday(dt.date(year, 6, 1)) is not None:
            return Basis.ANNOUNCED
        return Basis.COMPUTED if statutory.is_computable(year) else Basis.FALLBACK


@dataclass(frozen=True)
class Deadline:
    at: dt.datetime
    fallback_years: frozenset[int] = frozenset()
    computed_years: frozenset[int] = frozenset()

    @property
    def used_fallback(self) -> bool:
        return bool(self.fallback_years)

    @property
    def basis(self) -> Basis:
        if self.fallback_years:
            return Basis.FALLBACK
        return Basis.COMPUTED if self.computed_years else Basis.ANNOUNCED


def is_working_day(cal: Calendar, date: dt.date) -> bool:
    return cal.day_status(date).is_working


def next_working_day(cal: Calendar, date: dt.date) -> dt.date:
    """The first working day strictly after `date`."""
    return _DayBook(cal).next_working_day(date)


class _DayBook:
    """Looks days up on one calendar for one computation and remembers which years it guessed."""

    def __init__(self, cal: Calendar) -> None:
        self.cal = cal
        self.fallback_years: set[int] = set()
        self.computed_years: set[int] = set()

    def is_working(self, date: dt.date) -> bool:
        status = self.cal.day_status(date)
        if status.source is DaySource.FALLBACK:
            self.fallback_years.add(date.year)
        elif status.source is DaySource.COMPUTED:
            self.computed_years.add(date.year)
        return status.is_working

    def next_working_day(self, date: dt.date) -> dt.date:
        for offset in range(1, MAX_DAYS_SCANNED + 1):
            candidate = date + dt.timedelta(days=offset)
            if self.is_working(candidate):
                return candidate
        raise ValueError(f"No working day within {MAX_DAYS_SCANNED} days after {date}.")

    def midnight(self, date: dt.date) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(0), tzinfo=self.cal.time_zone).astimezone(_UTC)

    def at(self, date: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(date, time, tzinfo=self.cal.time_zone).astimezone(_UTC)


def _require_aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime.")
    return value.astimezone(_UTC)


def _merge_pauses(pauses: Iterable[Span], not_before: dt.datetime) -> list[Span]:
    spans: list[Span] = []
    for begin, end in pauses:
        begin, end = _require_aware(begin, "A pause start"), _require_aware(end, "A pause end")
        if end < begin:
            raise ValueError("A pause cannot end before it starts.")
        begin = max(begin, not_before)
        if begin < end:
            spans.append((begin, end))
    spans.sort()
    merged: list[Span] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _subtract(intervals: list[Span], pauses: list[Span]) -> list[Span]:
    result: list[Span] = []
    for begin, end in intervals:
        cursor = begin
        for p_begin, p_end in pauses:
            if p_end <= cursor or p_begin >= end:
                continue
            if p_begin > cursor:
                result.append((cursor, p_begin))
            cursor = max(cursor, p_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


@dataclass(frozen=True)
class _Day:
    date: dt.date
    length: dt.timedelta  # 24 hours, except on a daylight-saving change
    running: list[Span]  # when the clock runs on this day, UTC, pauses taken out


def _running_days(book: _DayBook, kind: ClockKind, start: dt.datetime, pauses: list[Span]) -> Iterator[_Day]:
    """Day by day from the day of `start`: when the clock of `kind` runs."""
    receipt_date = start.astimezone(book.cal.time_zone).date()
    for offset in range(MAX_DAYS_SCANNED + 1):
        date = receipt_date + dt.timedelta(days=offset)
        day_begin, day_end = book.midnight(date), book.midnight(date + _ONE_DAY)
        if kind is ClockKind.TWENTY_FOUR_SEVEN:
            base = [(day_begin, day_end)]
        elif kind is ClockKind.BUSINESS_HOURS:
            base = (
                [(book.at(date, s), book.at(date, e)) for s, e in book.cal.hours.periods()]
                if book.is_working(date)
                else []
            )
        elif offset == 0:
            base = []  # Civil Code Art. 201: the day of receipt is not counted
        elif kind is ClockKind.WORKING_DAYS:
            base = [(day_begin, day_end)] if book.is_working(date) else []
        else:
            base = [(day_begin, day_end)]
        clipped = [(max(b, start), e) for b, e in base if e > start]
        yield _Day(date, day_end - day_begin, _subtract(clipped, pauses))
    raise ValueError(f"The clock does not run out within {MAX_DAYS_SCANNED} days of {start}.")


def _walk(running: list[Span], needed: dt.timedelta) -> dt.datetime:
    """The instant at which `needed` of the running time has passed."""
    for begin, end in running:
        if end - begin >= needed:
            return begin + needed
        needed -= end - begin
    raise AssertionError("the caller checked that the day holds enough running time")


def _as_microseconds(delta: dt.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _check_amount(kind: ClockKind, amount: dt.timedelta | int) -> None:
    if kind.counts_days:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"A {kind} clock takes a whole number of days.")
        if amount < 1:
            raise ValueError("A day clock needs at least one day.")
    else:
        if not isinstance(amount, dt.timedelta):
            raise TypeError(f"A {kind} clock takes a timedelta.")
        if amount < dt.timedelta(0):
            raise ValueError("The allowed time cannot be negative.")


def deadline_info(
    cal: Calendar,
    kind: ClockKind | str,
    start: dt.datetime,
    amount: dt.timedelta | int,
    pauses: Iterable[Span] = (),
) -> Deadline:
    """The deadline and the years whose working days had to be guessed. See the module docstring."""
    kind = ClockKind(kind)
    _check_amount(kind, amount)
    start_utc = _require_aware(start, "start")
    book = _DayBook(cal)
    merged = _merge_pauses(pauses, start_utc)
    at = _run_out(book, kind, start_utc, amount, merged)
    if kind is ClockKind.CALENDAR_DAYS:
        # Art. 203: a period whose last day is a rest day ends at 24:00 of the next working day.
        last_day = (at - _MICROSECOND).astimezone(cal.time_zone).date()
        if not book.is_working(last_day):
            at = book.midnight(book.next_working_day(last_day) + _ONE_DAY)
    return Deadline(at.astimezone(cal.time_zone), frozenset(book.fallback_years), frozenset(book.computed_years))


def deadline(
    cal: Calendar,
    kind: ClockKind | str,
    start: dt.datetime,
    amount: dt.timedelta | int,
    pauses: Iterable[Span] = (),
) -> dt.datetime:
    """When the clock of `kind`, started at `start` with `amount` to run, runs out (aware, local time)."""
    return deadline_info(cal, kind, start, amount, pauses).at


def _run_out(
    book: _DayBook, kind: ClockKind, start: dt.datetime, amount: dt.timedelta | int, pauses: list[Span]
) -> dt.datetime:
    if kind.counts_days:
        # Counted in days, not hours, so a 23- or 25-hour day (daylight saving) is still one day.
        remaining = Fraction(int(amount))
        for day in _running_days(book, kind, start, pauses):
            day_us = _as_microseconds(day.length)
            running_us = sum(_as_microseconds(end - begin) for begin, end in day.running)
            share = Fraction(running_us, day_us)
            if running_us and share >= remaining:
                needed = dt.timedelta(microseconds=math.ceil(remaining * day_us))
                return _walk(day.running, needed)
            remaining -= share
    else:
        assert isinstance(amount, dt.timedelta)
        if amount == dt.timedelta(0):
            return start
        remaining_time = amount
        for day in _running_days(book, kind, start, pauses):
            running = sum((end - begin for begin, end in day.running), dt.timedelta(0))
            if running and running >= remaining_time:
                return _walk(day.running, remaining_time)
            remaining_time -= running
    raise AssertionError("_running_days raises before it runs out of days")


def _clock_time_until(
    book: _DayBook, kind: ClockKind, start: dt.datetime, until: dt.datetime, pauses: list[Span]
) -> dt.timedelta:
    total = dt.timedelta(0)
    if until <= start:
        return total
    for day in _running_days(book, kind, start, pauses):
        for begin, end in day.running:
            if begin >= until:
                return total
            total += min(end, until) - begin
        if book.midnight(day.date + _ONE_DAY) >= until:
            return total
    return total


def elapsed_share(
    cal: Calendar,
    kind: ClockKind | str,
    start: dt.datetime,
    deadline_at: dt.datetime,
    now: dt.datetime,
    pauses: Iterable[Span] = (),
) -> float:
    """How much of the allowed clock time is used at `now`: 0 at the start, 1 at the deadline, above 1 after.

    Both sides are measured on the same clock with the same pauses, so the share stands still while
    the clock is paused and outside working time, and reaches exactly 1.0 at the deadline.
    """
    kind = ClockKind(kind)
    start_utc = _require_aware(start, "start")
    deadline_utc = _require_aware(deadline_at, "deadline")
    now_utc = _require_aware(now, "now")
    book = _DayBook(cal)
    merged = _merge_pauses(pauses, start_utc)
    allowed = _clock_time_until(book, kind, start_utc, deadline_utc, merged)
    if allowed <= dt.timedelta(0):
        return 1.0 if now_utc >= deadline_utc else 0.0
    used = _clock_time_until(book, kind, start_utc, now_utc, merged)
    return used / allowed

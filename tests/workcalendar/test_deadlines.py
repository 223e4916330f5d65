"""The pure deadline module beyond the golden table: day lookups, elapsed share, input checks."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.workcalendar.test_deadlines_golden import CAL, LUNCH, at, hours, pause
from yuqing.workcalendar.deadlines import (
    Calendar,
    ClockKind,
    DaySource,
    WorkingHours,
    deadline,
    deadline_info,
    elapsed_share,
    is_working_day,
    next_working_day,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 9, 28), True),  # make-up Sunday
        (D(2025, 10, 8), False),  # last day of the National Day break
        (D(2025, 10, 11), True),  # make-up Saturday
        (D(2026, 1, 4), True),
        (D(2026, 2, 14), True),
        (D(2026, 2, 23), False),  # a Monday inside the Spring Festival break
        (D(2026, 2, 28), True),
        (D(2026, 5, 9), True),
        (D(2026, 9, 20), True),
        (D(2026, 10, 10), True),
        (D(2026, 3, 7), False),  # an ordinary Saturday
        (D(2026, 3, 9), True),  # an ordinary Monday
    ],
)
def test_it_knows_statutory_working_days_and_make_up_days(day, expected):
    assert is_working_day(CAL, day) is expected
    assert CAL.day_status(day).source is DaySource.STATUTORY


def test_next_working_day_is_strictly_after_the_date():
    assert next_working_day(CAL, D(2026, 2, 13)) == D(2026, 2, 14)  # Friday → make-up Saturday
    assert next_working_day(CAL, D(2026, 2, 14)) == D(2026, 2, 24)  # over the whole break
    assert next_working_day(CAL, D(2025, 9, 30)) == D(2025, 10, 9)
    assert next_working_day(CAL, D(2026, 3, 9)) == D(2026, 3, 10)  # a working day is not its own next


def test_years_without_any_data_or_rules_fall_back_to_monday_to_friday():
    assert CAL.day_status(D(2003, 5, 1)).source is DaySource.FALLBACK  # before the package's range
    assert is_working_day(CAL, D(2003, 5, 1)) is True  # a Thursday: guessed, and wrong (劳动节)
    assert CAL.day_status(D(2101, 1, 1)).source is DaySource.FALLBACK  # past the computed range
    assert is_working_day(CAL, D(2101, 1, 2)) is False  # a Sunday
    assert CAL.day_status(D(2027, 1, 1)).source is DaySource.COMPUTED  # computed from the rules
    assert CAL.has_schedule_for(2026) and not CAL.has_schedule_for(2027) and not CAL.has_schedule_for(2003)


def test_a_tenant_override_beats_the_statutory_calendar():
    cal = Calendar(overrides={D(2026, 2, 16): True, D(2026, 2, 14): False})
    assert cal.day_status(D(2026, 2, 16)).source is DaySource.OVERRIDE
    assert is_working_day(cal, D(2026, 2, 16)) is True
    assert is_working_day(cal, D(2026, 2, 14)) is False


def test_a_year_the_tenant_loaded_is_not_reported_as_guessed():
    cal = Calendar(overrides={D(2027, 2, 8): False}, schedule_years={2027})
    assert cal.has_schedule_for(2027)
    assert cal.day_status(D(2027, 3, 1)).source is DaySource.TENANT_SCHEDULE
    result = deadline_info(cal, ClockKind.WORKING_DAYS, at("2027-02-05 10:00"), 2)
    assert result.at == at("2027-02-11 00:00")  # Fri receipt; Mon 02-08 closed: Tue 02-09, Wed 02-10
    assert not result.used_fallback


def test_the_calendar_cannot_be_changed_after_it_is_built():
    overrides = {D(2026, 3, 7): True}
    cal = Calendar(overrides=overrides)
    overrides[D(2026, 3, 7)] = False
    assert is_working_day(cal, D(2026, 3, 7)) is True
    with pytest.raises(TypeError):
        cal.overrides[D(2026, 3, 8)] = True  # type: ignore[index]


def test_day_clocks_count_days_not_hours_across_a_daylight_saving_change():
    # Berlin springs forward on 2026-03-29: that Sunday has 23 hours, and still counts as one day.
    berlin = ZoneInfo("Europe/Berlin")
    cal = Calendar(time_zone=berlin, overrides={D(2026, 3, 29): True})
    start = dt.datetime(2026, 3, 28, 10, tzinfo=berlin)
    result = deadline(cal, ClockKind.WORKING_DAYS, start, 1)
    assert result == dt.datetime(2026, 3, 30, 0, 0, tzinfo=berlin)
    assert result.utcoffset() == dt.timedelta(hours=2)
    assert deadline(cal, ClockKind.TWENTY_FOUR_SEVEN, start, hours(24)) == dt.datetime(2026, 3, 29, 11, tzinfo=berlin)


def test_a_zero_allowance_ends_at_the_start():
    start = at("2026-03-07 10:00")  # a Saturday: the clock would not even be running
    assert deadline(CAL, ClockKind.BUSINESS_HOURS, start, dt.timedelta(0)) == start


def test_clock_kinds_are_accepted_by_their_stored_names():
    assert deadline(CAL, "working_days", at("2026-03-09 10:00"), 1) == at("2026-03-11 00:00")
    assert deadline(CAL, "24x7", at("2026-03-09 10:00"), hours(1)) == at("2026-03-09 11:00")


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [
        (ClockKind.WORKING_DAYS, hours(24), TypeError),
        (ClockKind.CALENDAR_DAYS, True, TypeError),
        (ClockKind.CALENDAR_DAYS, 0, ValueError),
        (ClockKind.BUSINESS_HOURS, 3, TypeError),
        (ClockKind.TWENTY_FOUR_SEVEN, hours(-1), ValueError),
        ("weekly", 3, ValueError),
    ],
)
def test_it_rejects_an_amount_of_the_wrong_kind(kind, amount, error):
    with pytest.raises(error):
        deadline(CAL, kind, at("2026-03-09 10:00"), amount)


def test_it_rejects_naive_datetimes_and_backwards_pauses():
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(CAL, ClockKind.TWENTY_FOUR_SEVEN, dt.datetime(2026, 3, 9, 10), hours(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(
            CAL,
            ClockKind.TWENTY_FOUR_SEVEN,
            at("2026-03-09 10:00"),
            hours(1),
            [(dt.datetime(2026, 3, 9, 11), at("2026-03-09 12:00"))],
        )
    with pytest.raises(ValueError, match="cannot end before"):
        deadline(
            CAL,
            ClockKind.TWENTY_FOUR_SEVEN,
            at("2026-03-09 10:00"),
            hours(1),
            [pause("2026-03-09 12:00", "2026-03-09 11:00")],
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": dt.time(18), "end": dt.time(9)},
        {"lunch_start": dt.time(12)},
        {"lunch_start": dt.time(8), "lunch_end": dt.time(9, 30)},
        {"lunch_start": dt.time(13), "lunch_end": dt.time(12)},
    ],
)
def test_working_hours_refuse_impossible_shapes(kwargs):
    with pytest.raises(ValueError):
        WorkingHours(**kwargs)


def test_a_very_long_business_hours_clock_gives_up_with_an_error():
    with pytest.raises(ValueError, match="does not run out"):
        deadline(CAL, ClockKind.BUSINESS_HOURS, at("2026-03-09 10:00"), hours(8.5 * 366 * 11))


# ---- elapsed share ----------------------------------------------------------------------------


def test_share_on_a_24x7_clock_is_elapsed_over_allowed():
    start, due = at("2026-03-02 09:00"), at("2026-03-03 09:00")
    share = lambda now: elapsed_share(CAL, ClockKind.TWENTY_FOUR_SEVEN, start, due, at(now))  # noqa: E731
    assert share("2026-03-02 08:00") == 0.0
    assert share("2026-03-02 21:00") == 0.5
    assert share("2026-03-03 09:00") == 1.0
    assert share("2026-03-03 21:00") == 1.5


def test_share_stands_still_over_a_holiday_on_business_hours():
    start = at("2025-09-30 16:00")
    due = deadline(CAL, ClockKind.BUSINESS_HOURS, start, hours(4))  # 2025-10-09 11:30 (golden table)
    share = lambda now: elapsed_share(CAL, ClockKind.BUSINESS_HOURS, start, due, at(now))  # noqa: E731
    assert share("2025-09-30 17:30") == pytest.approx(1.5 / 4)
    assert share("2025-10-05 12:00") == pytest.approx(1.5 / 4)  # no business time in the break
    assert share("2025-10-09 10:42") == pytest.approx(0.8)  # the usual "warn at 80 %" moment
    assert share("2025-10-09 11:30") == 1.0


def test_share_skips_the_lunch_break():
    start = at("2026-03-09 09:00")
    due = deadline(LUNCH, ClockKind.BUSINESS_HOURS, start, hours(7.5))
    assert due == at("2026-03-09 17:30")
    assert elapsed_share(LUNCH, ClockKind.BUSINESS_HOURS, start, due, at("2026-03-09 12:45")) == pytest.approx(3 / 7.5)


def test_share_stands_still_while_paused():
    start = at("2026-03-02 09:00")
    pauses = [pause("2026-03-02 12:00", "2026-03-02 15:00")]
    due = deadline(CAL, ClockKind.TWENTY_FOUR_SEVEN, start, hours(24), pauses)
    share = lambda now: elapsed_share(CAL, ClockKind.TWENTY_FOUR_SEVEN, start, due, at(now), pauses)  # noqa: E731
    assert share("2026-03-02 12:00") == pytest.approx(3 / 24)
    assert share("2026-03-02 14:00") == pytest.approx(3 / 24)
    assert share("2026-03-02 16:00") == pytest.approx(4 / 24)
    assert share("2026-03-03 12:00") == 1.0


def test_share_on_working_days_counts_only_working_days():
    start = at("2026-02-13 10:00")
    due = deadline(CAL, ClockKind.WORKING_DAYS, start, 2)  # 02-14 and 02-24: ends 02-25 00:00
    share = lambda now: elapsed_share(CAL, ClockKind.WORKING_DAYS, start, due, at(now))  # noqa: E731
    assert share("2026-02-13 23:00") == 0.0  # the day of receipt is not counted
    assert share("2026-02-20 12:00") == 0.5  # make-up Saturday used, the break is free
    assert share("2026-02-24 12:00") == 0.75


def test_share_on_calendar_days_reaches_80_percent_on_day_12_of_15():
    start = at("2026-03-02 10:00")
    due = deadline(CAL, ClockKind.CALENDAR_DAYS, start, 15)
    assert due == at("2026-03-18 00:00")  # days 03-03..03-17
    # 03-15 00:00 closes day 12 (03-03..03-14).
    assert elapsed_share(CAL, ClockKind.CALENDAR_DAYS, start, due, at("2026-03-15 00:00")) == pytest.approx(0.8)


def test_share_of_a_zero_allowance_is_all_or_nothing():
    start = at("2026-03-09 10:00")
    assert elapsed_share(CAL, ClockKind.BUSINESS_HOURS, start, start, at("2026-03-09 09:00")) == 0.0
    assert elapsed_share(CAL, ClockKind.BUSINESS_HOURS, start, start, start) == 1.0


def test_the_deadline_module_stays_free_of_django():
    # Run in a fresh interpreter: the test process itself has Django loaded.
    code = "import sys, yuqing.workcalendar.deadlines; print(any(m.startswith('django') for m in sys.modules))"
    project = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=project)
    assert result.stdout.strip() == "False"

"""Statutory holidays computed from the rules agree with the published schedules, and 2027 is no longer Mon–Fri."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from yuqing.workcalendar.deadlines import SHANGHAI, Basis, Calendar, ClockKind, DaySource, deadline_info
from yuqing.workcalendar.statutory import computed_holidays, statutory_days

D = dt.date


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_computed_day_off_is_a_holiday_in_the_published_schedule(year):
    computed = computed_holidays(year)
    assert computed, "nothing computed"
    for date, name in computed.items():
        assert chinese_calendar.is_holiday(date), f"{date} ({name}) is a working day in the {year} schedule"
        on_holiday, _detail = chinese_calendar.get_holiday_detail(date)
        assert on_holiday, f"{date} ({name}) is only a weekend in the {year} schedule, not a holiday"


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_thirteen_statutory_days_carry_the_published_holiday_names(year):
    english = {
        "元旦": "New Year's Day",
        "春节": "Spring Festival",
        "清明节": "Tomb-sweeping Day",
        "劳动节": "Labour Day",
        "端午节": "Dragon Boat Festival",
        "中秋节": "Mid-autumn Festival",
        "国庆节": "National Day",
    }
    days = statutory_days(year)
    assert len(days) == 13
    for date, name in days:
        assert chinese_calendar.get_holiday_detail(date)[1] == english[name], (date, name)


def test_spring_festival_2027_is_computed_from_the_lunar_calendar():
    holidays = computed_holidays(2027)
    assert holidays[D(2027, 2, 5)] == "春节"  # 除夕
    assert holidays[D(2027, 2, 6)] == "春节"  # 正月初一
    assert holidays[D(2027, 2, 8)] == "春节"  # 初三
    # 初一 and 初二 fall on Saturday and Sunday: made up on the next weekdays (Art. 6).
    assert holidays[D(2027, 2, 9)] == holidays[D(2027, 2, 10)] == "春节（补假）"
    assert D(2027, 2, 11) not in holidays
    assert holidays[D(2027, 4, 5)] == "清明节"
    assert holidays[D(2027, 6, 9)] == "端午节"
    assert holidays[D(2027, 9, 15)] == "中秋节"


def test_mid_autumn_on_national_day_is_made_up_not_lost():
    # 2028: 中秋 is 10-03, which is also 国庆; 10-01 is a Sunday. Four statutory days, two made up.
    holidays = computed_holidays(2028)
    assert [d for d in holidays if d.month == 10] == [D(2028, 10, d) for d in (1, 2, 3, 4, 5)]


def test_a_year_outside_the_rules_is_refused():
    with pytest.raises(ValueError):
        computed_holidays(2024)
    with pytest.raises(ValueError):
        computed_holidays(2101)


def test_2027_days_are_computed_and_new_years_day_is_off():
    cal = Calendar()
    status = cal.day_status(D(2027, 1, 1))
    assert status.source is DaySource.COMPUTED and status.is_working is False
    assert cal.day_status(D(2027, 1, 4)) == type(status)(True, DaySource.COMPUTED)
    assert cal.year_basis(2027) is Basis.COMPUTED
    assert cal.year_basis(2026) is Basis.ANNOUNCED
    assert cal.year_basis(2003) is Basis.FALLBACK


def test_a_deadline_over_spring_festival_2027_skips_it_and_says_it_was_computed():
    start = dt.datetime(2027, 2, 4, 10, tzinfo=SHANGHAI)
    result = deadline_info(Calendar(), ClockKind.WORKING_DAYS, start, 3)
    assert result.at == dt.datetime(2027, 2, 16, tzinfo=SHANGHAI)  # 02-11, 02-12, 02-15
    assert result.basis is Basis.COMPUTED
    assert result.computed_years == {2027} and not result.fallback_years


def test_precedence_override_then_notice_then_package_then_computed():
    cal = Calendar(
        overrides={D(2027, 2, 9): True},
        notice_days={D(2027, 2, 10): True, D(2026, 10, 8): True},
        notice_years={2026},
    )
    assert cal.day_status(D(2027, 2, 9)) == type(cal.day_status(D(2027, 2, 9)))(True, DaySource.OVERRIDE)
    assert cal.day_status(D(2027, 2, 10)).source is DaySource.NOTICE  # a notice's date beats computed
    assert cal.day_status(D(2026, 10, 8)).is_working is True  # the notice beats chinese-calendar
    assert cal.day_status(D(2026, 10, 1)).source is DaySource.NOTICE  # notice year: its other days Mon–Fri
    assert cal.day_status(D(2026, 10, 1)).is_working is True
    assert cal.day_status(D(2027, 2, 11)).source is DaySource.COMPUTED

"""Calendar models (per-tenant uniqueness, validation) and the selector that builds a tenant's Calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.workcalendar.test_deadlines_golden import at
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.services import tenant_create
from yuqing.workcalendar.deadlines import ClockKind, WorkingHours, deadline, deadline_info
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride, validate_year_list
from yuqing.workcalendar.selectors import calendar_for_tenant

OFF, WORK = CalendarOverride.Kind.DAY_OFF, CalendarOverride.Kind.WORKING_DAY


def override(tenant, day: dt.date, kind: str, note: str = "") -> CalendarOverride:
    return CalendarOverride.objects.create(tenant=tenant, date=day, kind=kind, note=note)


def test_a_date_can_be_overridden_once_per_tenant(tenant_a, tenant_b):
    override(tenant_a, dt.date(2026, 3, 7), WORK)
    override(tenant_b, dt.date(2026, 3, 7), OFF)  # the same date in another tenant is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        override(tenant_a, dt.date(2026, 3, 7), OFF)


def test_the_unique_date_check_answers_in_chinese(tenant_a):
    override(tenant_a, dt.date(2026, 3, 7), WORK)
    duplicate = CalendarOverride(tenant=tenant_a, date=dt.date(2026, 3, 7), kind=OFF)
    # The unique check queries through the scoped manager, so it runs inside the tenant's context.
    with tenant_context(tenant_a), pytest.raises(ValidationError, match="该日期已有调整记录"):
        duplicate.full_clean()


def test_a_tenant_has_at_most_one_business_calendar(tenant_a):
    BusinessCalendar.objects.create(tenant=tenant_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(tenant=tenant_a)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"work_start": dt.time(18), "work_end": dt.time(9)}, "work_end", "下班时间必须晚于上班时间"),
        ({"lunch_start": dt.time(12)}, "lunch_end", "午休开始和结束须同时填写"),
        ({"lunch_start": dt.time(13), "lunch_end": dt.time(12)}, "lunch_end", "午休结束必须晚于午休开始"),
        ({"lunch_start": dt.time(8), "lunch_end": dt.time(9)}, "lunch_start", "午休必须在上下班时间之内"),
    ],
)
def test_business_hours_are_validated_with_chinese_messages(tenant_a, fields, field, message):
    calendar = BusinessCalendar(tenant=tenant_a, **fields)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as error:
        calendar.full_clean()
    assert message in " ".join(error.value.message_dict[field])


def test_the_database_refuses_impossible_hours_written_past_validation(tenant_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(tenant=tenant_a, work_start=dt.time(18), work_end=dt.time(9))
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(tenant=tenant_a, lunch_start=dt.time(12))


@pytest.mark.parametrize("value", ["", "2027", "2027,2028", "2027，2028", " 2027、2028 "])
def test_schedule_years_accept_a_list_of_years(value):
    validate_year_list(value)


@pytest.mark.parametrize("value", ["27", "2027;x", "1999", "二〇二七"])
def test_schedule_years_reject_anything_else(value):
    with pytest.raises(ValidationError):
        validate_year_list(value)


def test_a_tenant_without_settings_gets_default_hours_in_its_own_time_zone(db):
    tenant = tenant_create(slug="hk-branch", name="港分行", time_zone="Asia/Hong_Kong")
    cal = calendar_for_tenant(tenant=tenant)
    assert cal.hours == WorkingHours(start=dt.time(9), end=dt.time(17, 30))
    assert cal.time_zone == ZoneInfo("Asia/Hong_Kong")
    assert dict(cal.overrides) == {}
    assert not cal.has_schedule_for(2027)


def test_the_selector_reads_hours_overrides_and_loaded_years(tenant_a, django_assert_num_queries):
    BusinessCalendar.objects.create(
        tenant=tenant_a,
        work_start=dt.time(8, 30),
        work_end=dt.time(17),
        lunch_start=dt.time(12),
        lunch_end=dt.time(13),
        schedule_years="2027",
    )
    override(tenant_a, dt.date(2026, 3, 7), WORK, "周六加班")
    override(tenant_a, dt.date(2026, 3, 10), OFF, "司庆日")
    with django_assert_num_queries(3):  # hours, overrides, notices
        cal = calendar_for_tenant(tenant=tenant_a)
    assert cal.hours == WorkingHours(dt.time(8, 30), dt.time(17), dt.time(12), dt.time(13))
    assert dict(cal.overrides) == {dt.date(2026, 3, 7): True, dt.date(2026, 3, 10): False}
    assert cal.has_schedule_for(2027)
    # 08:30 Saturday made a working day: 3.5 hours to lunch, then 1 hour.
    assert deadline(cal, ClockKind.BUSINESS_HOURS, at("2026-03-07 08:00"), dt.timedelta(hours=4.5)) == at(
        "2026-03-07 14:00"
    )


def test_another_tenants_overrides_never_change_this_tenants_deadlines(tenant_a, tenant_b):
    # Tenant B closes on Tuesday 03-10 and works Saturday 03-07; tenant A does neither.
    override(tenant_b, dt.date(2026, 3, 10), OFF)
    override(tenant_b, dt.date(2026, 3, 7), WORK)
    BusinessCalendar.objects.create(tenant=tenant_b, schedule_years="2027")
    cal_a, cal_b = calendar_for_tenant(tenant=tenant_a), calendar_for_tenant(tenant=tenant_b)
    assert dict(cal_a.overrides) == {}
    start = at("2026-03-06 10:00")
    assert deadline(cal_a, ClockKind.WORKING_DAYS, start, 2) == at("2026-03-11 00:00")  # Mon 03-09, Tue 03-10
    assert deadline(cal_b, ClockKind.WORKING_DAYS, start, 2) == at("2026-03-10 00:00")  # Sat 03-07, Mon 03-09
    assert deadline_info(cal_a, ClockKind.WORKING_DAYS, at("2026-12-31 10:00"), 1).basis == "computed"
    assert deadline_info(cal_b, ClockKind.WORKING_DAYS, at("2026-12-31 10:00"), 1).basis == ""

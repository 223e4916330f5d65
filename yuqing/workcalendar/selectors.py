"""Read queries of the business calendar."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import models

from yuqing.tenancy.models import Tenant
from yuqing.workcalendar.deadlines import Calendar, WorkingHours
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride, HolidayNotice


def business_calendar_get(*, tenant: Tenant) -> BusinessCalendar | None:
    return BusinessCalendar.objects.for_tenant(tenant).first()


def calendar_override_list(*, tenant: Tenant) -> models.QuerySet[CalendarOverride]:
    return CalendarOverride.objects.for_tenant(tenant).order_by("date")


def holiday_notice_list(*, tenant: Tenant) -> models.QuerySet[HolidayNotice]:
    return HolidayNotice.objects.for_tenant(tenant).select_related("loaded_by").order_by("-year")


def holiday_notice_get(*, tenant: Tenant, year: int) -> HolidayNotice | None:
    return HolidayNotice.objects.for_tenant(tenant).filter(year=year).first()


def calendar_for_tenant(*, tenant: Tenant) -> Calendar:
    """The tenant's calendar for the deadline arithmetic, in three queries.

    With no BusinessCalendar row: 09:00–17:30 without a lunch break, which is what most offices
    publish. The time zone is always the tenant's own.
    """
    settings_row = business_calendar_get(tenant=tenant)
    if settings_row is None:
        hours, schedule_years = WorkingHours(), frozenset[int]()
    else:
        hours = WorkingHours(
            start=settings_row.work_start,
            end=settings_row.work_end,
            lunch_start=settings_row.lunch_start,
            lunch_end=settings_row.lunch_end,
        )
        schedule_years = settings_row.schedule_year_set
    overrides = {
        date: kind == CalendarOverride.Kind.WORKING_DAY
        for date, kind in calendar_override_list(tenant=tenant).values_list("date", "kind")
    }
    notice_days: dict[dt.date, bool] = {}
    notice_years: set[int] = set()
    # Oldest first, so a later year's notice wins for a date both list (元旦 make-up days in December).
    for year, days in HolidayNotice.objects.for_tenant(tenant).order_by("year").values_list("year", "days"):
        notice_years.add(year)
        notice_days.update(
            (dt.date.fromisoformat(day["date"]), day["kind"] == CalendarOverride.Kind.WORKING_DAY) for day in days
        )
    return Calendar(
        hours=hours,
        overrides=overrides,
        time_zone=zoneinfo.ZoneInfo(tenant.time_zone),
        schedule_years=schedule_years,
        notice_days=notice_days,
        notice_years=frozenset(notice_years),
    )

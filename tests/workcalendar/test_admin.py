"""The calendar admin for tenant admins: their own tenant, and duplicates answered as form errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride


@pytest.fixture
def staff_admin_a(client_for, admin_a):
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


def test_a_tenant_admin_adds_an_override_into_their_own_tenant(staff_admin_a, tenant_a, tenant_b):
    response = staff_admin_a.post(
        reverse("admin:workcalendar_calendaroverride_add"),
        {"date": "2026-03-07", "kind": "working_day", "note": "周六加班"},
    )
    assert response.status_code == 302
    override = CalendarOverride.objects.for_tenant(tenant_a).get(date=dt.date(2026, 3, 7))
    assert override.is_working
    assert not CalendarOverride.objects.for_tenant(tenant_b).exists()
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="admin.add", object_id=str(override.pk)).exists()


def test_a_second_override_for_the_same_date_is_a_form_error_not_a_crash(staff_admin_a, tenant_a, tenant_b):
    CalendarOverride.objects.create(tenant=tenant_a, date=dt.date(2026, 3, 7), kind="working_day")
    CalendarOverride.objects.create(tenant=tenant_b, date=dt.date(2026, 3, 9), kind="day_off")
    url = reverse("admin:workcalendar_calendaroverride_add")
    response = staff_admin_a.post(url, {"date": "2026-03-07", "kind": "day_off", "note": ""})
    assert response.status_code == 200
    assert "该日期已有调整记录" in response.content.decode()
    # Another tenant's date does not block this tenant.
    assert staff_admin_a.post(url, {"date": "2026-03-09", "kind": "day_off", "note": ""}).status_code == 302


def test_another_tenants_override_answers_404(staff_admin_a, tenant_b):
    theirs = CalendarOverride.objects.create(tenant=tenant_b, date=dt.date(2026, 3, 7), kind="working_day")
    response = staff_admin_a.get(reverse("admin:workcalendar_calendaroverride_change", args=[theirs.pk]))
    assert response.status_code == 404
    listing = staff_admin_a.get(reverse("admin:workcalendar_calendaroverride_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == []


def test_a_tenant_admin_sets_the_hours_once_and_then_edits_them(staff_admin_a, tenant_a):
    url = reverse("admin:workcalendar_businesscalendar_add")
    data = {
        "work_start": "08:30",
        "work_end": "17:00",
        "lunch_start": "12:00",
        "lunch_end": "13:00",
        "schedule_years": "",
    }
    assert staff_admin_a.post(url, data).status_code == 302
    assert BusinessCalendar.objects.for_tenant(tenant_a).get().work_start == dt.time(8, 30)
    assert staff_admin_a.get(url).status_code == 403  # one per tenant: no second "add"


def test_impossible_hours_are_refused_in_the_form(staff_admin_a, tenant_a):
    response = staff_admin_a.post(
        reverse("admin:workcalendar_businesscalendar_add"),
        {"work_start": "18:00", "work_end": "09:00", "lunch_start": "", "lunch_end": "", "schedule_years": ""},
    )
    assert response.status_code == 200
    assert "下班时间必须晚于上班时间" in response.content.decode()
    assert not BusinessCalendar.objects.for_tenant(tenant_a).exists()

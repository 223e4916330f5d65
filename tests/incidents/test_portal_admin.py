"""Admin of incidents: natures and SLA policies editable (with Chinese checks), cases read-only,
every list and page scoped to the tenant admin's own tenant."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident, IncidentNature, SlaPolicy, TimelineEntry
from incidents.services.incidents import incident_natures_ensure
from incidents.services.sla import sla_policies_ensure
from tests.incidents.factories import department_of, open_incident
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db


def _staff(membership) -> Client:
    membership.user.is_staff = True
    membership.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def staff_a(admin_a) -> Client:
    return _staff(admin_a)


@pytest.fixture
def staff_b(admin_b) -> Client:
    return _staff(admin_b)


@pytest.fixture
def incident_a(tenant_a, admin_a) -> Incident:
    from incidents.services.tasks import task_create

    incident = open_incident(tenant_a, admin_a.user, title="甲方专属事件")
    task_create(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=incident,
        department=department_of(tenant_a, Department.Kind.PR),
        title="甲方专属任务",
    )
    return incident


def test_the_lists_show_only_the_own_tenant(staff_a, staff_b, incident_a):
    for name in ("incidents_incident", "incidents_incidenttask", "incidents_timelineentry"):
        url = reverse(f"admin:{name}_changelist")
        assert "甲方专属" in staff_a.get(url).content.decode(), name
        assert "甲方专属" not in staff_b.get(url).content.decode(), name


def test_another_tenants_incident_page_is_a_404(staff_b, incident_a):
    assert staff_b.get(reverse("admin:incidents_incident_change", args=[incident_a.pk])).status_code == 404


def test_cases_are_read_only_here(staff_a, tenant_a, incident_a):
    assert staff_a.get(reverse("admin:incidents_incident_add")).status_code == 403
    page = staff_a.get(reverse("admin:incidents_incident_change", args=[incident_a.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    entry = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident_a).first()
    assert (
        staff_a.post(reverse("admin:incidents_timelineentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert TimelineEntry.objects.for_tenant(tenant_a).filter(pk=entry.pk).exists()


def test_a_nature_can_be_added_into_the_own_tenant(staff_a, tenant_a):
    response = staff_a.post(reverse("admin:incidents_incidentnature_add"), {"name": "员工不当言论", "is_active": "on"})
    assert response.status_code == 302
    assert IncidentNature.objects.for_tenant(tenant_a).filter(name="员工不当言论").exists()


def test_a_nature_in_use_cannot_be_deleted(staff_a, tenant_a, admin_a):
    nature = incident_natures_ensure(tenant=tenant_a)[0]
    open_incident(tenant_a, admin_a.user, nature=nature)
    response = staff_a.get(reverse("admin:incidents_incidentnature_delete", args=[nature.pk]))
    assert response.status_code == 403


def test_an_sla_policy_on_a_day_clock_needs_days(staff_a, tenant_a):
    policy = sla_policies_ensure(tenant=tenant_a)[(2, "standard")]
    response = staff_a.post(
        reverse("admin:incidents_slapolicy_change", args=[policy.pk]),
        {
            "severity": 2,
            "tier": "standard",
            "clock_kind": "working_days",
            "first_response_minutes": "60",
            "resolution_minutes": "600",
            "resolution_days": "",
            "warn_share": "0.80",
        },
    )
    text = response.content.decode()
    assert "按工作日或自然日计时时，请填写处置时限（天）。" in text
    assert "按天计时的策略不使用分钟时限，请留空。" in text
    assert SlaPolicy.objects.for_tenant(tenant_a).get(pk=policy.pk).resolution_minutes is None


def test_an_sla_policy_on_an_hour_clock_can_be_changed(staff_a, tenant_a):
    policy = sla_policies_ensure(tenant=tenant_a)[(1, "standard")]
    response = staff_a.post(
        reverse("admin:incidents_slapolicy_change", args=[policy.pk]),
        {
            "severity": 1,
            "tier": "standard",
            "clock_kind": "business_hours",
            "first_response_minutes": "20",
            "resolution_minutes": "480",
            "resolution_days": "",
            "warn_share": "0.75",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.clock_kind, policy.resolution_minutes) == ("business_hours", 480)


def test_a_duplicate_policy_is_refused_with_a_message(staff_a, tenant_a):
    sla_policies_ensure(tenant=tenant_a)
    response = staff_a.post(
        reverse("admin:incidents_slapolicy_add"),
        {"severity": 1, "tier": "vip", "clock_kind": "24x7", "resolution_minutes": "60", "warn_share": "0.80"},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()

"""Opening and editing incidents: codes, validation in Chinese, roles, tenant isolation, audit, timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.models import Tier
from incidents.models import Incident, IncidentNature, Severity, SlaClock, TimelineEntry
from incidents.services.incidents import (
    DEFAULT_NATURES,
    incident_natures_ensure,
    incident_note_add,
    incident_update,
)
from tests.customers.factories import CustomerFactory
from tests.incidents.factories import department_of, member, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db


def test_it_numbers_incidents_per_tenant_and_year_without_gaps(tenant_a, tenant_b, admin_a, admin_b) -> None:
    year = timezone.localtime().year
    first = open_incident(tenant_a, admin_a.user)
    second = open_incident(tenant_a, admin_a.user)
    other = open_incident(tenant_b, admin_b.user)
    assert (first.code, second.code) == (f"YQ-{year}-0001", f"YQ-{year}-0002")
    assert other.code == f"YQ-{year}-0001"


def test_a_failed_opening_gives_its_number_back(tenant_a, admin_a) -> None:
    open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError):
        open_incident(tenant_a, admin_a.user, title="   ")
    third = open_incident(tenant_a, admin_a.user)
    assert third.code.endswith("-0002")


def test_opening_writes_timeline_audit_and_starts_both_clocks(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    kinds = set(TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident).values_list("kind", flat=True))
    assert kinds == {TimelineEntry.Kind.PHASE, TimelineEntry.Kind.SLA}
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="incident.open")
    assert event.object_id == str(incident.pk)
    assert event.changes["code"]["after"] == incident.code
    clocks = SlaClock.objects.for_tenant(tenant_a).filter(incident=incident)
    assert {clock.kind for clock in clocks} == {SlaClock.Kind.FIRST_RESPONSE, SlaClock.Kind.RESOLUTION}
    assert incident.phase == "response"


def test_opening_refuses_bad_input_naming_each_field(tenant_a, admin_a) -> None:
    with pytest.raises(ValidationError) as caught:
        open_incident(tenant_a, admin_a.user, title="", severity=9, media_level="tv", estimated_reach=-1)
    errors = caught.value.message_dict
    assert set(errors) == {"title", "severity", "media_level", "estimated_reach"}
    assert errors["title"] == ["请填写事件标题。"]
    assert "I–IV" in errors["severity"][0]


def test_opening_refuses_a_discovery_time_in_the_future(tenant_a, admin_a) -> None:
    with pytest.raises(ValidationError) as caught:
        open_incident(tenant_a, admin_a.user, opened_at=timezone.now() + dt.timedelta(hours=1))
    assert caught.value.message_dict["opened_at"] == ["发现时间不能晚于当前时间。"]


@pytest.mark.parametrize(
    "field",
    ["customers", "departments", "owner", "nature"],
)
def test_opening_refuses_another_tenants_rows(tenant_a, tenant_b, admin_a, admin_b, field) -> None:
    foreign = {
        "customers": lambda: [CustomerFactory(tenant=tenant_b)],
        "departments": lambda: [department_of(tenant_b, Department.Kind.PR)],
        "owner": lambda: admin_b,
        "nature": lambda: incident_natures_ensure(tenant=tenant_b)[0],
    }[field]()
    with pytest.raises(ValidationError) as caught:
        open_incident(tenant_a, admin_a.user, **{field: foreign})
    assert field in caught.value.message_dict
    assert Incident.objects.for_tenant(tenant_a).count() == 0


def test_a_viewer_cannot_open_or_change_an_incident(tenant_a, admin_a, viewer_a, auditor_a) -> None:
    for member_ in (viewer_a, auditor_a):
        with pytest.raises(PermissionDenied):
            open_incident(tenant_a, member_.user)
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(PermissionDenied):
        incident_update(tenant=tenant_a, actor=viewer_a.user, incident=incident, title="改")


def test_a_member_of_another_tenant_cannot_open_one_here(tenant_a, admin_b) -> None:
    with pytest.raises(PermissionDenied):
        open_incident(tenant_a, admin_b.user)


def test_an_owner_who_may_not_write_is_refused(tenant_a, admin_a, viewer_a) -> None:
    with pytest.raises(ValidationError) as caught:
        open_incident(tenant_a, admin_a.user, owner=viewer_a)
    assert "只读" in caught.value.message_dict["owner"][0]


def test_the_owner_is_told_they_own_the_incident(tenant_a, admin_a, handler_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, owner=handler_a)
    note = Notification.objects.for_tenant(tenant_a).get(recipient=handler_a)
    assert note.kind == Notification.Kind.ASSIGNMENT
    assert incident.code in note.title


def test_opening_ensures_the_default_natures_once(tenant_a, admin_a) -> None:
    open_incident(tenant_a, admin_a.user)
    names = set(IncidentNature.objects.for_tenant(tenant_a).values_list("name", flat=True))
    assert names == set(DEFAULT_NATURES)
    IncidentNature.objects.for_tenant(tenant_a).filter(name="谣言").update(name="不实信息")
    open_incident(tenant_a, admin_a.user)  # the tenant has natures: its edits stand
    assert not IncidentNature.objects.for_tenant(tenant_a).filter(name="谣言").exists()
    incident_natures_ensure(tenant=tenant_a)  # an explicit ensure adds back what is missing
    assert IncidentNature.objects.for_tenant(tenant_a).filter(name="谣言").exists()


def test_update_records_what_changed_in_timeline_and_audit(tenant_a, admin_a, handler_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.IV)
    pr = department_of(tenant_a, Department.Kind.PR)
    incident_update(
        tenant=tenant_a,
        actor=admin_a.user,
        incident=incident,
        title="网传本行理财产品逾期（已核实）",
        facts_who="微博用户",
        departments=[pr],
        owner=handler_a,
    )
    incident.refresh_from_db()
    assert incident.title.endswith("（已核实）")
    assert list(Department.objects.for_tenant(tenant_a).filter(incidents=incident)) == [pr]
    entry = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, data__action="update").get()
    assert "标题：网传本行理财产品逾期 → 网传本行理财产品逾期（已核实）" in entry.body
    assert "涉及主体（谁）" in entry.body
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="incident.update")
    assert set(event.changes) == {"title", "facts_who", "departments", "owner"}


def test_an_update_that_changes_nothing_writes_nothing(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    before = AuditEvent.objects.for_tenant(tenant_a).count()
    incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, title=incident.title)
    assert AuditEvent.objects.for_tenant(tenant_a).count() == before


def test_update_refuses_another_tenants_customer(tenant_a, tenant_b, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        incident_update(
            tenant=tenant_a, actor=admin_a.user, incident=incident, customers=[CustomerFactory(tenant=tenant_b)]
        )
    assert caught.value.message_dict["customers"] == ["所选客户不属于本机构。"]


def test_update_refuses_unknown_fields(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(TypeError):
        incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, phase="closed")


def test_a_new_severity_or_a_vip_customer_moves_the_deadlines(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.IV)
    first = SlaClock.objects.for_tenant(tenant_a).get(incident=incident, kind="first_response").deadline_at
    incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, severity=Severity.II)
    second = SlaClock.objects.for_tenant(tenant_a).get(incident=incident, kind="first_response").deadline_at
    assert second - incident.opened_at == dt.timedelta(hours=1)
    assert second < first
    vip = CustomerFactory(tenant=tenant_a, tier=Tier.VIP)
    incident_update(tenant=tenant_a, actor=admin_a.user, incident=incident, customers=[vip])
    third = SlaClock.objects.for_tenant(tenant_a).get(incident=incident, kind="first_response").deadline_at
    assert third - incident.opened_at == dt.timedelta(minutes=30)  # VIP: standard × 0.50
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.sla_recompute").count() == 2


def test_notes_and_communications_go_on_the_timeline(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    entry = incident_note_add(
        tenant=tenant_a, actor=admin_a.user, incident=incident, body="监管来电询问进展", kind="communication_in"
    )
    assert entry.kind == "communication_in"
    assert entry.actor == admin_a.user
    with pytest.raises(ValidationError) as caught:
        incident_note_add(tenant=tenant_a, actor=admin_a.user, incident=incident, body=" ")
    assert caught.value.message_dict == {"body": ["请填写内容。"]}
    with pytest.raises(ValidationError):
        incident_note_add(tenant=tenant_a, actor=admin_a.user, incident=incident, body="x", kind="sla")


def test_a_note_on_another_tenants_incident_is_refused(tenant_a, tenant_b, admin_a, admin_b) -> None:
    incident = open_incident(tenant_b, admin_b.user)
    with pytest.raises(ValidationError):
        incident_note_add(tenant=tenant_a, actor=admin_a.user, incident=incident, body="越权")


def test_a_manager_of_the_tenant_may_open_and_own(tenant_a) -> None:
    manager = member(tenant_a, "pr_head", Role.MANAGER, Department.Kind.PR)
    incident = open_incident(tenant_a, manager.user, owner=manager)
    assert incident.owner == manager

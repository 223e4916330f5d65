"""incidents.services.intake: a story described in plain values opens an incident or joins its open one."""

from __future__ import annotations

import pytest

from incidents.models import Incident, MediaLevel, Phase, Severity, TimelineEntry
from incidents.services.intake import StoryReport, duty_roster, incidents_lock, story_intake, story_note
from tests.customers.factories import CustomerFactory
from tests.incidents.factories import member
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db


def report(**fields: object) -> StoryReport:
    values: dict[str, object] = {
        "title": "华信置业项目停工",
        "severity": Severity.II,
        "summary": "由舆情预警登记：项目停工。",
        "join_note": "新增 2 条相关信息。",
    }
    values.update(fields)
    return StoryReport(**values)  # type: ignore[arg-type]


def notes(incident: Incident) -> list[str]:
    rows = TimelineEntry.objects.for_tenant(incident.tenant).filter(incident=incident, kind=TimelineEntry.Kind.NOTE)
    return list(rows.order_by("pk").values_list("body", flat=True))


def test_a_story_without_an_incident_opens_one_with_its_facts(tenant_a) -> None:
    acme = CustomerFactory(tenant=tenant_a, name="华信置业有限公司")
    incident = story_intake(
        tenant=tenant_a,
        actor=None,
        report=report(
            title="长" * 500,
            customer_ids=(acme.pk,),
            estimated_reach=-3,
            media_level=MediaLevel.SELF_MEDIA,
            open_note="值班人员升级为事件。",
        ),
    )
    assert incident.severity == Severity.II and incident.is_open
    assert incident.title == "长" * Incident._meta.get_field("title").max_length
    assert incident.summary == "由舆情预警登记：项目停工。"
    assert list(Incident.customers.through.objects.for_tenant(tenant_a).values_list("customer_id", flat=True)) == [
        acme.pk
    ]
    assert (incident.estimated_reach, incident.media_level) == (0, MediaLevel.SELF_MEDIA)
    assert notes(incident) == ["值班人员升级为事件。"]


def test_a_story_joins_its_open_incident_raising_severity_and_adding_customers(tenant_a) -> None:
    acme = CustomerFactory(tenant=tenant_a, name="华信置业有限公司")
    partner = CustomerFactory(tenant=tenant_a, name="瑞丰建设有限公司")
    first = story_intake(tenant=tenant_a, actor=None, report=report(customer_ids=(acme.pk,)))
    joined = story_intake(
        tenant=tenant_a,
        actor=None,
        report=report(incident_id=first.pk, severity=Severity.I, new_customer_ids=frozenset({acme.pk, partner.pk})),
    )
    assert joined.pk == first.pk
    assert joined.severity == Severity.I
    linked = Incident.customers.through.objects.for_tenant(tenant_a).filter(incident=joined)
    assert set(linked.values_list("customer_id", flat=True)) == {acme.pk, partner.pk}
    assert notes(joined)[-1] == "新增 2 条相关信息。"
    # Never lowered by a later, milder report; no severity at all leaves it as it is.
    story_intake(tenant=tenant_a, actor=None, report=report(incident_id=first.pk, severity=Severity.III))
    story_intake(tenant=tenant_a, actor=None, report=report(incident_id=first.pk, severity=None))
    assert Incident.objects.for_tenant(tenant_a).get(pk=first.pk).severity == Severity.I


def test_a_closed_incident_is_followed_by_a_new_one(tenant_a) -> None:
    first = story_intake(tenant=tenant_a, actor=None, report=report())
    Incident.objects.for_tenant(tenant_a).filter(pk=first.pk).update(phase=Phase.CLOSED)
    second = story_intake(tenant=tenant_a, actor=None, report=report(incident_id=first.pk))
    assert second.pk != first.pk and second.is_open


def test_incidents_lock_says_which_are_open_and_ignores_other_tenants(tenant_a, tenant_b) -> None:
    open_one = story_intake(tenant=tenant_a, actor=None, report=report())
    closed = story_intake(tenant=tenant_a, actor=None, report=report())
    theirs = story_intake(tenant=tenant_b, actor=None, report=report())
    Incident.objects.for_tenant(tenant_a).filter(pk=closed.pk).update(phase=Phase.CLOSED)
    ids = [open_one.pk, closed.pk, theirs.pk, None]
    assert incidents_lock(tenant=tenant_a, incident_ids=ids) == {open_one.pk}
    assert incidents_lock(tenant=tenant_a, incident_ids=[]) == set()


def test_a_story_note_goes_only_on_an_open_incident(tenant_a) -> None:
    incident = story_intake(tenant=tenant_a, actor=None, report=report())
    assert story_note(tenant=tenant_a, actor=None, incident_id=incident.pk, body="级别调整。") is True
    assert story_note(tenant=tenant_a, actor=None, incident_id=None, body="无事件。") is False
    Incident.objects.for_tenant(tenant_a).filter(pk=incident.pk).update(phase=Phase.CLOSED)
    assert story_note(tenant=tenant_a, actor=None, incident_id=incident.pk, body="已关闭。") is False
    assert notes(incident) == ["级别调整。"]


def test_the_duty_roster_is_the_management_departments_managers_and_admins(tenant_a) -> None:
    admin = member(tenant_a, "admin1", role=Role.ADMIN)
    member(tenant_a, "handler0", role=Role.HANDLER)
    everyone = duty_roster(tenant=tenant_a)  # nobody in management yet: every manager and admin
    assert admin in everyone and all(m.role in (Role.MANAGER, Role.ADMIN) for m in everyone)
    duty = member(tenant_a, "duty1", role=Role.MANAGER, department_kind=Department.Kind.MANAGEMENT)
    member(tenant_a, "handler1", role=Role.HANDLER, department_kind=Department.Kind.MANAGEMENT)
    assert duty_roster(tenant=tenant_a) == [duty]

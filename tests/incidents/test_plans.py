"""The emergency-plan hook: proposals for severe incidents from registered providers, launched as tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.models import Incident, IncidentTask, Phase, Severity, TimelineEntry
from incidents.services import plans
from incidents.services.incidents import incident_move
from incidents.services.plans import PlanProposal, PlanStep, plan_launch, plan_proposals, register_plan_provider
from incidents.services.review import review_record
from tests.incidents.factories import advance_to, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)

RUMOUR_PLAN = PlanProposal(
    id="rumour-v3",
    title="网络谣言应急预案（第 3 版）",
    steps=[
        PlanStep(Department.Kind.PR, "发布澄清声明", dt.timedelta(hours=2)),
        PlanStep(Department.Kind.LEGAL, "评估并保全侵权证据", dt.timedelta(hours=4), "截图、公证"),
        PlanStep(Department.Kind.CUSTOMER_SERVICE, "统一客服口径", dt.timedelta(hours=1)),
    ],
)


class FakeTrainingPlans:
    """What the training module will register: here, one plan for every severe incident."""

    def __init__(self) -> None:
        self.asked: list[Incident] = []

    def propose(self, incident: Incident) -> list[PlanProposal]:
        self.asked.append(incident)
        return [RUMOUR_PLAN]


@pytest.fixture
def provider() -> Iterator[FakeTrainingPlans]:
    fake = FakeTrainingPlans()
    register_plan_provider(fake)
    yield fake
    plans.unregister_plan_provider(fake)


def test_without_a_provider_there_are_no_proposals(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    assert plan_proposals(incident) == []
    assert str(plans.NO_PLANS_MESSAGE) == "暂无适用于本事件级别的现行应急预案"


def test_severe_open_incidents_get_the_providers_proposals(tenant_a, admin_a, provider) -> None:
    severe = open_incident(tenant_a, admin_a.user, severity=Severity.II)
    minor = open_incident(tenant_a, admin_a.user, severity=Severity.III)
    assert plan_proposals(severe) == [RUMOUR_PLAN]
    assert plan_proposals(minor) == []
    entry = TimelineEntry.objects.for_tenant(tenant_a).get(incident=severe, data__action="plan_proposed")
    assert entry.body == "建议启动应急预案：网络谣言应急预案（第 3 版）"


def test_launching_turns_each_step_into_a_task_of_that_departments_kind(tenant_a, admin_a, provider) -> None:
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
        tasks = plan_launch(tenant=tenant_a, actor=admin_a.user, incident=incident, proposal=RUMOUR_PLAN)
    assert [(t.department.kind, t.title, t.due_at - T0) for t in tasks] == [
        (Department.Kind.PR, "发布澄清声明", dt.timedelta(hours=2)),
        (Department.Kind.LEGAL, "评估并保全侵权证据", dt.timedelta(hours=4)),
        (Department.Kind.CUSTOMER_SERVICE, "统一客服口径", dt.timedelta(hours=1)),
    ]
    assert {t.plan_step for t in tasks} == {"rumour-v3:1", "rumour-v3:2", "rumour-v3:3"}
    assert tasks[1].description == "截图、公证"
    involved = set(Department.objects.for_tenant(tenant_a).filter(incidents=incident).values_list("kind", flat=True))
    assert involved == {Department.Kind.PR, Department.Kind.LEGAL, Department.Kind.CUSTOMER_SERVICE}
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.plan_launch").count() == 1
    with pytest.raises(ValidationError) as caught:
        plan_launch(tenant=tenant_a, actor=admin_a.user, incident=incident, proposal=RUMOUR_PLAN)
    assert caught.value.messages == ["预案“网络谣言应急预案（第 3 版）”已在本事件中启动。"]


def test_a_step_for_a_department_the_tenant_lacks_stops_the_launch(tenant_a, admin_a, provider) -> None:
    Department.objects.for_tenant(tenant_a).filter(kind=Department.Kind.LEGAL).update(is_active=False)
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    with pytest.raises(ValidationError) as caught:
        plan_launch(tenant=tenant_a, actor=admin_a.user, incident=incident, proposal=RUMOUR_PLAN)
    assert "法务" in caught.value.messages[0]
    assert not IncidentTask.objects.for_tenant(tenant_a).exists()


def test_a_plan_cannot_launch_on_another_tenants_or_a_closed_incident(
    tenant_a, tenant_b, admin_a, admin_b, provider
) -> None:
    foreign = open_incident(tenant_b, admin_b.user, severity=Severity.I)
    with pytest.raises(ValidationError):
        plan_launch(tenant=tenant_a, actor=admin_a.user, incident=foreign, proposal=RUMOUR_PLAN)
    incident = advance_to(open_incident(tenant_a, admin_a.user, severity=Severity.I), Phase.REVIEW, actor=admin_a.user)
    assert plan_proposals(incident) == [RUMOUR_PLAN]  # open until closed
    review_record(tenant=tenant_a, actor=admin_a.user, incident=incident, root_cause="谣言")
    incident = incident_move(tenant=tenant_a, actor=admin_a.user, incident=incident, to_phase=Phase.CLOSED)
    assert plan_proposals(incident) == []
    with pytest.raises(ValidationError):
        plan_launch(tenant=tenant_a, actor=admin_a.user, incident=incident, proposal=RUMOUR_PLAN)

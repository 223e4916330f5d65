"""Launching an emergency plan from an incident: the provider proposes the version in force, the
incidents card launches it, and the tasks land in the right departments with the right due times."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents.models import IncidentNature, IncidentTask, Severity
from incidents.services.plans import plan_proposals
from tests.incidents.factories import open_incident
from tests.training.plan_support import approved_plan, member_of
from training.models import Scenario
from training.services import plans as services
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(tenant_a):
    return member_of(tenant_a, "plan_author", Role.HANDLER), member_of(tenant_a, "plan_manager", Role.MANAGER)


def test_the_provider_proposes_the_version_in_force_of_the_incidents_severity(tenant_a, admin_a, people):
    author, manager = people
    plan, v1 = approved_plan(tenant_a, author, manager, severity=Severity.I)
    approved_plan(tenant_a, author, manager, scenario=Scenario.NEWS_WAVE, severity=Severity.II, title="新闻预案")
    # A newer draft does not change what is proposed.
    services.version_draft(tenant=tenant_a, actor=author.user, plan=plan)
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    [proposal] = plan_proposals(incident)
    assert proposal.id == f"plan-version-{v1.pk}"
    assert [(s.department_kind, s.title, s.due_in) for s in proposal.steps] == [
        (Department.Kind.PR, "发布澄清声明", dt.timedelta(minutes=120)),
        (Department.Kind.LEGAL, "保全侵权证据", dt.timedelta(minutes=240)),
        (Department.Kind.CUSTOMER_SERVICE, "统一客服口径", dt.timedelta(minutes=60)),
    ]
    assert plan_proposals(open_incident(tenant_a, admin_a.user, severity=Severity.III)) == []


def test_the_nature_picks_the_scenario_where_it_maps(tenant_a, admin_a, people):
    author, manager = people
    approved_plan(tenant_a, author, manager, scenario=Scenario.SOLVENCY_RUMOUR, severity=Severity.I, title="谣言")
    _, leak = approved_plan(tenant_a, author, manager, scenario=Scenario.DATA_LEAK, severity=Severity.I, title="泄露")
    incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    assert len(plan_proposals(incident)) == 2  # no nature: every scenario of the severity
    incident.nature = IncidentNature.objects.for_tenant(tenant_a).get_or_create(tenant=tenant_a, name="数据泄露")[0]
    assert [p.id for p in plan_proposals(incident)] == [f"plan-version-{leak.pk}"]
    incident.nature = IncidentNature.objects.for_tenant(tenant_a).get_or_create(tenant=tenant_a, name="个体言论")[0]
    assert len(plan_proposals(incident)) == 2


def test_another_tenants_plans_are_never_proposed(tenant_a, tenant_b, admin_b, people):
    author, manager = people
    approved_plan(tenant_a, author, manager, severity=Severity.I)
    assert plan_proposals(open_incident(tenant_b, admin_b.user, severity=Severity.I)) == []


def test_the_incident_card_launches_the_plan_once_with_the_right_tasks(client_a, tenant_a, admin_a, people):
    author, manager = people
    _, version = approved_plan(tenant_a, author, manager, severity=Severity.II)
    with time_machine.travel(T0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.II)
        page = client_a.get(reverse("incidents:incident-detail", args=[incident.pk]))
        assert f'data-proposal="plan-version-{version.pk}"' in page.content.decode()
        url = reverse("incidents:incident-plan-launch", args=[incident.pk])
        response = client_a.post(url, {"proposal": f"plan-version-{version.pk}"})
        assert response.status_code == 302
        tasks = list(IncidentTask.objects.for_tenant(tenant_a).filter(incident=incident).select_related("department"))
        assert sorted((t.department.kind, t.title, t.due_at - T0) for t in tasks) == sorted(
            [
                (Department.Kind.PR, "发布澄清声明", dt.timedelta(minutes=120)),
                (Department.Kind.LEGAL, "保全侵权证据", dt.timedelta(minutes=240)),
                (Department.Kind.CUSTOMER_SERVICE, "统一客服口径", dt.timedelta(minutes=60)),
            ]
        )
        assert all(t.plan_step.startswith(f"plan-version-{version.pk}:") for t in tasks)
        client_a.post(url, {"proposal": f"plan-version-{version.pk}"}, follow=True)
    assert IncidentTask.objects.for_tenant(tenant_a).filter(incident=incident).count() == 3

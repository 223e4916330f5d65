"""Factories and helpers of the incidents tests. Children are always created in their parent's tenant.

Rows only: tests of behaviour open incidents through incidents.services (codes, clocks, timeline).
Factories of other areas of incidents go below; keep what is here.
"""

from __future__ import annotations

import factory
from django.utils import timezone

from incidents.models import Incident, IncidentNature, IncidentTask
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from yuqing.tenancy.models import Department, Membership, Role, Tenant


class IncidentNatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentNature

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"性质{n}")


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident row in 响应与信息收集 with no clocks (use services.incidents.incident_open for those)."""

    class Meta:
        model = Incident

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"YQ-2099-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"测试舆情事件{n}")
    opened_at = factory.LazyFunction(timezone.now)


class IncidentTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentTask

    incident = factory.SubFactory(IncidentFactory)
    tenant = factory.SelfAttribute("incident.tenant")
    department = factory.LazyAttribute(lambda o: Department.objects.for_tenant(o.tenant).order_by("pk").first())
    title = factory.Sequence(lambda n: f"协同任务{n}")


def department_of(tenant: Tenant, kind: str) -> Department:
    """The tenant's default department of `kind` (tenant_create makes one of each)."""
    return Department.objects.for_tenant(tenant).filter(kind=kind).order_by("pk").first()


def member(tenant: Tenant, username: str, role: str = Role.HANDLER, department_kind: str | None = None) -> Membership:
    """A member of `tenant` in the department of `department_kind` (none when not given)."""
    return MembershipFactory(
        tenant=tenant,
        user=UserFactory(username=username),
        role=role,
        department=department_of(tenant, department_kind) if department_kind else None,
    )


# --- opening and moving incidents through the services ----------------------------------------

# What each phase needs before the next one (see incidents.services.phases).
PHASE_FACTS = {
    "response": {
        "facts_who": "微博用户“理财观察”",
        "facts_what": "发帖称本行某产品逾期",
        "facts_when": "2026-03-02 09:10",
    },
    "analysis": {"media_level": "self_media", "analysis": "个体言论，传播有限，暂未发现媒体转载。"},
    "planning": {"plan": "客服联系当事人核实；公关准备口径。", "responsibilities": "客服中心：核实；公关部：口径。"},
    "implementation": {"actions_taken": "已与当事人沟通并解释还款安排。"},
}


def open_incident(tenant: Tenant, actor: object, **fields: object) -> Incident:
    from incidents.models import Severity
    from incidents.services.incidents import incident_open

    fields.setdefault("title", "网传本行理财产品逾期")
    fields.setdefault("severity", Severity.III)
    return incident_open(tenant=tenant, actor=actor, **fields)


def advance_to(incident: Incident, phase: str, *, actor: object, owner: Membership | None = None) -> Incident:
    """Fill what each phase needs and move the incident forward until it is in `phase`."""
    from incidents.models import PHASE_ORDER
    from incidents.services.incidents import incident_move, incident_natures_ensure, incident_update

    tenant = incident.tenant
    while PHASE_ORDER.index(incident.phase) < PHASE_ORDER.index(phase):
        facts = dict(PHASE_FACTS.get(incident.phase, {}))
        if incident.phase == "response" and incident.owner_id is None:
            facts["owner"] = owner or Membership.objects.for_tenant(tenant).filter(role=Role.ADMIN).first()
        if incident.phase == "analysis" and incident.nature_id is None:
            facts["nature"] = incident_natures_ensure(tenant=tenant)[0]
        if facts:
            incident = incident_update(tenant=tenant, actor=actor, incident=incident, **facts)
        following = PHASE_ORDER[PHASE_ORDER.index(incident.phase) + 1]
        incident = incident_move(tenant=tenant, actor=actor, incident=incident, to_phase=following)
    return incident

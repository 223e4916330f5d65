"""The emergency-plan hook (启动应急预案): proposals for severe incidents, launched as tasks.

The plans themselves live in the training app (预案 by scenario and severity, versioned
and approved, each a checklist of department steps). It registers a provider at start-up:

    from incidents.services.plans import PlanProposal, PlanStep, register_plan_provider

    class TrainingPlans:
        def propose(self, incident):  # -> list[PlanProposal]
            ...

    register_plan_provider(TrainingPlans())

Until a provider is registered there are no proposals and the portal shows NO_PLANS_MESSAGE.
Launching turns each step into a task of the tenant's department of that kind, due `due_in` after
the launch; a plan launches once per incident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import Incident, IncidentTask, Severity, TimelineEntry
from incidents.services.common import audit, require_open, timeline_add
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Tenant, User
from yuqing.tenancy.roles import Permission

# Severity I and II propose launching the matching emergency plan.
PLAN_SEVERITIES = (Severity.I, Severity.II)
NO_PLANS_MESSAGE = gettext_lazy("暂无适用于本事件级别的现行应急预案")


@dataclass(frozen=True)
class PlanStep:
    department_kind: str  # a Department.Kind value
    title: str
    due_in: dt.timedelta
    description: str = ""


@dataclass(frozen=True)
class PlanProposal:
    id: str | int
    title: str
    steps: list[PlanStep] = field(default_factory=list)


class PlanProvider(Protocol):
    def propose(self, incident: Incident) -> list[PlanProposal]: ...


_providers: list[PlanProvider] = []


def register_plan_provider(provider: PlanProvider) -> None:
    """Called once at start-up (an AppConfig.ready()) by the module that owns the plans."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_plan_provider(provider: PlanProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def plan_proposals(incident: Incident) -> list[PlanProposal]:
    """The plans that could be launched for this incident: only open incidents of severity I or II."""
    if incident.severity not in PLAN_SEVERITIES or not incident.is_open:
        return []
    proposals: list[PlanProposal] = []
    for provider in list(_providers):
        proposals.extend(provider.propose(incident))
    return proposals


def _step_key(proposal: PlanProposal, index: int) -> str:
    return f"{proposal.id}:{index}"[:100]


@tenant_service(Permission.WRITE)
def plan_launch(
    *, tenant: Tenant, actor: User | None, incident: Incident, proposal: PlanProposal
) -> list[IncidentTask]:
    """Turn the plan's checklist into tasks of the tenant's departments, one per step."""
    if incident.tenant_id != tenant.pk:
        raise ValidationError(_("事件不属于本机构。"))
    require_open(incident)
    if not proposal.steps:
        raise ValidationError(_("预案“%(title)s”没有处置步骤。") % {"title": proposal.title}, code="no_steps")
    launched = IncidentTask.objects.for_tenant(tenant).filter(
        incident=incident, plan_step__startswith=f"{proposal.id}:"
    )
    if launched.exists():
        raise ValidationError(_("预案“%(title)s”已在本事件中启动。") % {"title": proposal.title}, code="launched")
    departments: dict[str, Department] = {}
    for department in Department.objects.for_tenant(tenant).filter(is_active=True).order_by("name", "pk"):
        departments.setdefault(department.kind, department)
    missing = sorted({step.department_kind for step in proposal.steps if step.department_kind not in departments})
    if missing:
        labels = "、".join(
            str(Department.Kind(kind).label) if kind in Department.Kind.values else kind for kind in missing
        )
        raise ValidationError(
            _("本机构没有以下类别的启用部门，无法启动预案：%(kinds)s。请先在部门设置中添加。") % {"kinds": labels},
            code="missing_department",
        )
    now = timezone.now()
    tasks = IncidentTask.objects.bulk_create(
        [
            IncidentTask(
                tenant=tenant,
                incident=incident,
                department=departments[step.department_kind],
                title=step.title[:200],
                description=step.description,
                due_at=now + step.due_in,
                plan_step=_step_key(proposal, index),
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
            for index, step in enumerate(proposal.steps, start=1)
        ]
    )
    incident.departments.add(*{task.department_id for task in tasks}, through_defaults={"tenant": tenant})
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.TASK,
        actor=actor,
        body=_("启动应急预案“%(title)s”，生成 %(count)d 项任务") % {"title": proposal.title, "count": len(tasks)},
        data={"action": "plan_launch", "plan": str(proposal.id), "tasks": [task.pk for task in tasks]},
    )
    audit(tenant, actor, "incident.plan_launch", incident, {"plan": str(proposal.id), "tasks": len(tasks)})
    return tasks

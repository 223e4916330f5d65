"""Helpers of the emergency-plan tests: members of each role and a plan through the services."""

from __future__ import annotations

from tests.factories import MembershipFactory, UserFactory
from training.models import EmergencyPlan, PlanVersion, Scenario
from training.services import plans as services
from yuqing.tenancy.models import Department, Membership, Tenant

STEPS = [
    {"department_kind": Department.Kind.PR, "title": "发布澄清声明", "target_minutes": 120, "description": ""},
    {
        "department_kind": Department.Kind.LEGAL,
        "title": "保全侵权证据",
        "target_minutes": 240,
        "description": "截图、公证",
    },
    {"department_kind": Department.Kind.CUSTOMER_SERVICE, "title": "统一客服口径", "target_minutes": 60},
]


def member_of(tenant: Tenant, username: str, role: str) -> Membership:
    return MembershipFactory(tenant=tenant, user=UserFactory(username=username), role=role)


def approved_plan(
    tenant: Tenant,
    author: Membership,
    approver: Membership,
    *,
    scenario: str = Scenario.SOLVENCY_RUMOUR,
    severity: int = 1,
    title: str = "偿付能力谣言应急预案",
    steps: list[dict] | None = None,
) -> tuple[EmergencyPlan, PlanVersion]:
    plan = services.plan_create(tenant=tenant, actor=author.user, scenario=scenario, severity=severity, title=title)
    version = versions_of(plan).get(number=1)
    services.version_steps_set(tenant=tenant, actor=author.user, version=version, steps=steps or STEPS)
    services.version_submit(tenant=tenant, actor=author.user, version=version)
    version = services.version_approve(tenant=tenant, actor=approver.user, version=version)
    return plan, version


def versions_of(plan: EmergencyPlan):  # type: ignore[no-untyped-def]
    return PlanVersion.objects.for_tenant(plan.tenant).filter(plan=plan)


def steps_of(version: PlanVersion):  # type: ignore[no-untyped-def]
    from training.models import PlanStep

    return PlanStep.objects.for_tenant(version.tenant).filter(version=version)

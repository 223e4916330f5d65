"""Demo data of the training app for `manage.py seed_demo`.

Emergency plans: three approved plans per demo tenant (drafted by the PR manager, approved by a
manager of the management department: maker-checker), then the matching plan launched on one
open severity I/II demo incident, so the incident page shows a launched plan with its tasks.
Runs after incidents' step (INSTALLED_APPS order). Idempotent: a plan is looked up by scenario
and severity, and nothing is launched again once a demo incident has plan tasks.
"""

from __future__ import annotations

from incidents.models import Incident, IncidentTask, Phase, Severity
from incidents.services.plans import plan_launch, plan_proposals
from training.models import EmergencyPlan, PlanVersion, Scenario
from training.services import plans as plan_services
from training.services.launch import PROPOSAL_PREFIX
from yuqing.tenancy.demo import DemoData
from yuqing.tenancy.models import Department, Membership, Role, Tenant

Kind = Department.Kind

# (scenario, severity, title, change note, [(department kind, step, target minutes, description)])
DEMO_PLANS = (
    (
        Scenario.NEWS_WAVE,
        Severity.II,
        "负面新闻集中爆发应急预案",
        "依据年度评审意见修订，明确首次回应时限。",
        [
            (Kind.PR, "监测研判：汇总报道与转载量，判断传播趋势", 30, "舆情分析师每 30 分钟更新一次简报。"),
            (Kind.MANAGEMENT, "启动应急小组，确定对外口径负责人", 60, ""),
            (Kind.LEGAL, "审核报道中的不实内容，评估是否发函更正", 120, ""),
            (Kind.PR, "发布首次回应（官方微博、公众号）", 120, "口径经法务审核后发布。"),
            (Kind.CUSTOMER_SERVICE, "客服统一应答话术上线", 90, "热线与在线客服同步。"),
        ],
    ),
    (
        Scenario.MASS_COMPLAINT,
        Severity.I,
        "客户集体投诉·维权应急预案",
        "首版。",
        [
            (Kind.CUSTOMER_SERVICE, "建立投诉台账，逐户登记诉求与联系方式", 60, ""),
            (Kind.MANAGEMENT, "分管领导牵头成立专项工作组", 30, ""),
            (Kind.LEGAL, "梳理合同条款与监管规定，出具处理意见", 240, ""),
            (Kind.RISK, "排查同类产品与客户的风险敞口", 480, ""),
            (Kind.PR, "准备对外说明与媒体问答口径", 180, ""),
            (Kind.CUSTOMER_SERVICE, "逐户回访并告知处理进展", 1440, "回访记录归档备查。"),
        ],
    ),
    (
        Scenario.SOLVENCY_RUMOUR,
        Severity.I,
        "偿付能力谣言应急预案",
        "首版。",
        [
            (Kind.RISK, "核实流动性与偿付能力指标，形成事实说明", 60, ""),
            (Kind.MANAGEMENT, "向监管部门报告并启动应急小组", 30, ""),
            (Kind.PR, "发布澄清公告，公开关键监管指标", 120, ""),
            (Kind.TECH_SUPPORT, "保障线上渠道与支付系统承载能力", 60, "关注挤兑引发的流量高峰。"),
            (Kind.LEGAL, "固定造谣证据，评估报案与追责", 240, ""),
        ],
    ),
)


def _member(tenant: Tenant, kind: str, role: str = Role.MANAGER) -> Membership | None:
    return (
        Membership.objects.for_tenant(tenant)
        .filter(role=role, department__kind=kind, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def _seed_plans(demo: DemoData, slug: str, tenant: Tenant) -> None:
    author = _member(tenant, Kind.PR)
    approver = _member(tenant, Kind.MANAGEMENT)
    if author is None or approver is None:
        return
    for scenario, severity, title, note, steps in DEMO_PLANS:
        if EmergencyPlan.objects.for_tenant(tenant).filter(scenario=scenario, severity=severity).exists():
            continue
        plan = plan_services.plan_create(
            tenant=tenant, actor=author.user, scenario=scenario, severity=severity, title=title
        )
        version = PlanVersion.objects.for_tenant(tenant).get(plan=plan, number=1)
        plan_services.version_steps_set(
            tenant=tenant,
            actor=author.user,
            version=version,
            change_note=note,
            steps=[
                {"department_kind": kind, "title": step, "target_minutes": minutes, "description": description}
                for kind, step, minutes, description in steps
            ],
        )
        plan_services.version_submit(tenant=tenant, actor=author.user, version=version)
        plan_services.version_approve(tenant=tenant, actor=approver.user, version=version)
        demo.created += 1
        demo.log(f"应急预案 {slug} · {title}（V1 已批准）")


def _launch_one(demo: DemoData, slug: str, tenant: Tenant) -> None:
    launched = IncidentTask.objects.for_tenant(tenant).filter(plan_step__startswith=PROPOSAL_PREFIX)
    if launched.exists():
        return
    actor = _member(tenant, Kind.PR)
    if actor is None:
        return
    severe = (
        Incident.objects.for_tenant(tenant)
        .filter(severity__in=[Severity.I, Severity.II])
        .exclude(phase=Phase.CLOSED)
        .select_related("nature")
        .order_by("severity", "opened_at", "pk")
    )
    for incident in severe:
        proposals = plan_proposals(incident)
        if proposals:
            tasks = plan_launch(tenant=tenant, actor=actor.user, incident=incident, proposal=proposals[0])
            demo.log(f"启动预案 {slug} · {incident.code}：{proposals[0].title}（{len(tasks)} 项任务）")
            return


def seed_plans(demo: DemoData) -> None:
    for slug, tenant in demo.tenants.items():
        _seed_plans(demo, slug, tenant)
        _launch_one(demo, slug, tenant)

"""Complaint policies: the tenant's rows made from the shipped legal templates, and due-time arithmetic.

The templates themselves (numbers, stages, legal basis) live in `yuqing.workcalendar.complaint_limits`
as plain data; this module turns them into the tenant's editable `ComplaintPolicy` rows and answers
"when is this item due" with the tenant's calendar and the shared deadline function, so holiday
arithmetic exists in one place only.

Stages of a policy (cumulative limits counted from the receipt, never from the previous due time):
stage 0 is `days`; stage 1 is `first_extension_days` when set; the last stage is `max_days`. So the
CBIRC 2020 policy has 15 → 30 → 60 calendar days, the 2012 CBRC policy 15 → 60 working days, and the
consumer-law policy 7 working days with no extension at all. Reaching `max_days` after a first
extension is the "further extension" that needs senior approval (see `stage_needs_approval`).

Which kinds get a due time: every item (complaint, feedback, inquiry) is given one from the same
policy. The regulatory limit binds complaints; the desk answers suggestions and inquiries on the
same clock so that nothing sits without a deadline, and the overdue list stays one query.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from customers.models import ComplaintPolicy
from yuqing.audit.services import audit_record
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.workcalendar.complaint_limits import (
    CBIRC_2020,
    CBRC_2012,
    CIVIL_CODE_COUNTING,
    CONSUMER_LAW_46,
    ComplaintTimeLimit,
)
from yuqing.workcalendar.deadlines import Calendar, Deadline, deadline_info

# What a tenant gets: the three confirmed rules. The PBOC 2020 template stays out of the shipped
# set until its limit is confirmed (it is marked unconfirmed in the templates module).
SHIPPED_TEMPLATES: tuple[ComplaintTimeLimit, ...] = (CBIRC_2020, CBRC_2012, CONSUMER_LAW_46)
DEFAULT_TEMPLATE = CBIRC_2020
DUE_SOON_DAYS = 3


def _template_values(template: ComplaintTimeLimit) -> dict[str, object]:
    stages = [stage.days for stage in template.stages]
    # Stored in Chinese whatever the language of the request that triggered it: it is data.
    with translation.override("zh-hans"):
        name, legal_basis = str(template.name), str(template.legal_basis)
    return {
        "template_code": template.code,
        "clock_kind": str(template.clock),
        "days": stages[0],
        "first_extension_days": stages[1] if len(stages) > 2 else None,
        "max_days": stages[-1],
        "legal_basis": legal_basis[:300],
        "name": name[:100],
    }


@tenant_service(None)
def complaint_policies_ensure(*, tenant: Tenant, actor: User | None = None) -> list[ComplaintPolicy]:
    """Create the tenant's policies from the shipped templates, once. Safe to call again.

    A template is looked up by its code, so a tenant that renamed or edited its copy keeps it.
    The CBIRC 2020 policy becomes the default only when the tenant has no default yet.
    """
    existing = {p.template_code: p for p in ComplaintPolicy.objects.for_tenant(tenant).select_for_update()}
    taken_names = {p.name for p in existing.values()}
    has_default = any(p.is_default for p in existing.values())
    created: list[ComplaintPolicy] = []
    for template in SHIPPED_TEMPLATES:
        if template.code in existing:
            continue
        values = _template_values(template)
        if values["name"] in taken_names:
            values["name"] = f"{values['name']}（模板）"[:100]
        policy = ComplaintPolicy.objects.create(
            tenant=tenant,
            is_default=not has_default and template is DEFAULT_TEMPLATE,
            due_soon_days=DUE_SOON_DAYS,
            **values,
        )
        has_default = has_default or policy.is_default
        taken_names.add(policy.name)
        created.append(policy)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="complaint_policy.create",
            target=policy,
            changes={"template": template.code, "days": policy.days, "max_days": policy.max_days},
        )
    return created


def complaint_policy_default(*, tenant: Tenant) -> ComplaintPolicy | None:
    return ComplaintPolicy.objects.for_tenant(tenant).filter(is_default=True).first()


@tenant_service(Permission.CONFIGURE)
def complaint_policy_make_default(*, tenant: Tenant, actor: User | None, policy: ComplaintPolicy) -> ComplaintPolicy:
    """Make `policy` the tenant's default; the previous default stops being one (one default per tenant)."""
    policies = ComplaintPolicy.objects.for_tenant(tenant)
    previous = policies.filter(is_default=True).exclude(pk=policy.pk).first()
    if previous is None and policy.is_default:
        return policy
    policies.filter(is_default=True).update(is_default=False)
    policies.filter(pk=policy.pk).update(is_default=True)
    policy.is_default = True
    audit_record(
        tenant=tenant,
        actor=actor,
        action="complaint_policy.make_default",
        target=policy,
        changes={"default": {"before": previous.pk if previous else None, "after": policy.pk}},
    )
    return policy


def stage_days(policy: ComplaintPolicy) -> list[int]:
    """The policy's cumulative limits: [days, first extension (if any), max (if longer)]."""
    stages = [policy.days]
    for days in (policy.first_extension_days, policy.max_days):
        if days and days > stages[-1]:
            stages.append(days)
    return stages


def stage_needs_approval(policy: ComplaintPolicy, stage: int) -> bool:
    """The further extension (a second one, up to max_days) needs a manager's or admin's approval."""
    return stage >= 2 and stage == len(stage_days(policy)) - 1


def policy_deadline(
    *, policy: ComplaintPolicy, calendar: Calendar, received_at: dt.datetime, stage: int = 0
) -> Deadline:
    """The due time at `stage`, counted from the receipt on the tenant's calendar.

    The deadline instant is 24:00 of the last day (00:00 of the day after): work done before it
    is in time. `Deadline.used_fallback` says the calendar had to guess a year's working days.
    """
    return deadline_info(calendar, policy.clock_kind, received_at, stage_days(policy)[stage])


def policy_template(policy: ComplaintPolicy | None) -> ComplaintTimeLimit | None:
    if policy is None:
        return None
    return next((t for t in SHIPPED_TEMPLATES if t.code == policy.template_code), None)


def counting_basis() -> str:
    return str(CIVIL_CODE_COUNTING)

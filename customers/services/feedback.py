"""Writes of feedback and complaints (客户反馈机制): registration, the status flow, extensions, escalation.

Every function takes the tenant and the acting user, checks the role, locks the row it changes,
and records one audit event in the same transaction. The reporter's mobile number is stored
encrypted with a masked copy (`Feedback.set_reporter_mobile`); only the masked copy ever reaches
an audit event or a log line.

The status flow (`TRANSITIONS`): received → acknowledged → in progress → resolved → closed, with
shortcuts a desk really takes (start work on an item not yet acknowledged; resolve an acknowledged
one on the first call) and one way back (resolved → in progress, when the customer disputes the
resolution). Closed and escalated are final. Resolving stops the regulatory clock: the limit is
to decide and tell the complainant, which is what "resolved" records.

Due times come from the item's complaint policy (see `customers.services.policies`): computed at
registration from the receipt, and recomputed from the receipt, never from the previous due time,
when the limit is extended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import ComplaintPolicy, Customer, Feedback
from customers.services.policies import (
    complaint_policies_ensure,
    complaint_policy_default,
    policy_deadline,
    stage_days,
    stage_needs_approval,
)
from customers.validators import normalise_code, validate_mobile
from yuqing.audit.services import audit_record, changes_between
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Membership, Tenant, User
from yuqing.tenancy.roles import Permission, has_permission, require_permission
from yuqing.workcalendar.selectors import calendar_for_tenant

Status = Feedback.Status

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({Status.RECEIVED}), Status.ACKNOWLEDGED),
    "start": (frozenset({Status.RECEIVED, Status.ACKNOWLEDGED, Status.RESOLVED}), Status.IN_PROGRESS),
    "resolve": (frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS}), Status.RESOLVED),
    "close": (frozenset({Status.RESOLVED}), Status.CLOSED),
    "escalate": (frozenset(Feedback.OPEN_STATUSES), Status.ESCALATED),
}
FINAL_STATUSES = frozenset({Status.CLOSED, Status.ESCALATED})

# Why an action is refused, by the status the item is in (the generic message covers the rest).
_NOT_RESOLVED = gettext_lazy("尚未处理完毕的反馈不能关闭，请先登记处理结果。")
_REFUSALS: dict[tuple[str, str], Any] = {
    ("close", Status.RECEIVED): _NOT_RESOLVED,
    ("close", Status.ACKNOWLEDGED): _NOT_RESOLVED,
    ("close", Status.IN_PROGRESS): _NOT_RESOLVED,
    ("resolve", Status.RECEIVED): gettext_lazy("请先受理该反馈，再登记处理结果。"),
    ("acknowledge", Status.ACKNOWLEDGED): gettext_lazy("该反馈已受理。"),
    ("acknowledge", Status.IN_PROGRESS): gettext_lazy("该反馈已在处理中。"),
    ("start", Status.IN_PROGRESS): gettext_lazy("该反馈已在处理中。"),
}

# How far a receipt time may lie ahead of the server clock (a desk PC running slightly fast).
CLOCK_SKEW = dt.timedelta(minutes=5)


def transition_allowed(feedback: Feedback, action: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return feedback.status in sources


def allowed_actions(feedback: Feedback) -> list[str]:
    """The actions the item's status allows, in the order a desk takes them."""
    return [action for action in TRANSITIONS if transition_allowed(feedback, action)]


def _refuse(feedback: Feedback, action: str) -> ValidationError:
    if feedback.status in FINAL_STATUSES:
        return ValidationError(
            _("该反馈当前为“%(status)s”，不能再变更状态。") % {"status": feedback.get_status_display()}, code="final"
        )
    reason = _REFUSALS.get((action, feedback.status))
    if reason:
        return ValidationError(str(reason), code="transition")
    return ValidationError(
        _("当前状态（%(status)s）下不能执行此操作。") % {"status": feedback.get_status_display()}, code="transition"
    )


def _locked(tenant: Tenant, feedback: Feedback) -> Feedback:
    """The row, locked for this transaction, read again from the tenant's data (never trust a stale copy)."""
    return Feedback.objects.for_tenant(tenant).select_for_update().get(pk=feedback.pk)


def _check_handler(tenant: Tenant, handler: Membership | None) -> None:
    if handler is None:
        return
    if handler.tenant_id != tenant.pk or not handler.is_active:
        raise ValidationError({"handler": _("处理人必须是本机构的在职成员。")})
    if not has_permission(handler, Permission.WRITE):
        raise ValidationError(
            {"handler": _("%(role)s角色不能处理反馈，请选择处置人员或主管。") % {"role": handler.get_role_display()}}
        )


def _check_policy(tenant: Tenant, policy: ComplaintPolicy | None) -> ComplaintPolicy:
    if policy is not None:
        if policy.tenant_id != tenant.pk:
            raise ValidationError({"policy": _("处理策略不属于本机构。")})
        return policy
    default = complaint_policy_default(tenant=tenant)
    if default is None:
        # A tenant that never chose gets the shipped templates, with CBIRC 2020 as its default.
        complaint_policies_ensure(tenant=tenant)
        default = complaint_policy_default(tenant=tenant)
    if default is None:
        raise ValidationError({"policy": _("本机构没有默认的投诉处理策略，请在管理后台指定一个。")})
    return default


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationError({field: _("请填写完整的日期和时间。")})
    return value


def _audit(tenant: Tenant, actor: User | None, action: str, feedback: Feedback, changes: dict[str, Any]) -> None:
    audit_record(tenant=tenant, actor=actor, action=f"feedback.{action}", target=feedback, changes=changes)


@tenant_service(Permission.WRITE)
def feedback_register(
    *,
    tenant: Tenant,
    actor: User | None,
    channel: str,
    subject: str,
    content: str,
    received_at: dt.datetime,
    customer: Customer | None = None,
    reporter_name: str = "",
    reporter_mobile: str = "",
    kind: str = Feedback.Kind.COMPLAINT,
    category: str = Feedback.Category.OTHER,
    handler: Membership | None = None,
    policy: ComplaintPolicy | None = None,
) -> Feedback:
    """Log an item from a customer of the tenant, or from an unknown person who gave a name.

    The due time comes from `policy`, else the tenant's default policy (see customers.services.policies for
    why every kind gets one), counted from `received_at` on the tenant's business calendar.
    """
    reporter_name = reporter_name.strip()
    errors: dict[str, str] = {}
    if customer is not None and customer.tenant_id != tenant.pk:
        errors["customer"] = _("客户不属于本机构。")
    if customer is None and not reporter_name:
        errors["reporter_name"] = _("未选择客户时，请填写反映人姓名。")
    if not subject.strip():
        errors["subject"] = _("请填写主题。")
    if not content.strip():
        errors["content"] = _("请填写反馈内容。")
    for field, value, choices in (
        ("kind", kind, Feedback.Kind),
        ("channel", channel, Feedback.Channel),
        ("category", category, Feedback.Category),
    ):
        if value not in choices.values:
            errors[field] = _("请选择有效的选项。")
    received_at = _aware(received_at, "received_at")
    if received_at > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = _("接收时间不能晚于当前时间。")
    mobile = normalise_code(reporter_mobile) if reporter_mobile else ""
    if mobile:
        try:
            validate_mobile(mobile)
        except ValidationError as error:
            errors["reporter_mobile"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    _check_handler(tenant, handler)
    policy = _check_policy(tenant, policy)
    due = policy_deadline(policy=policy, calendar=calendar_for_tenant(tenant=tenant), received_at=received_at)

    feedback = Feedback(
        tenant=tenant,
        customer=customer,
        reporter_name=reporter_name,
        kind=kind,
        channel=channel,
        category=category,
        subject=subject.strip(),
        content=content.strip(),
        received_at=received_at,
        handler=handler,
        policy=policy,
        due_at=due.at,
        due_basis=due.basis,
    )
    feedback.set_reporter_mobile(mobile)
    feedback.full_clean()
    feedback.save()
    _audit(
        tenant,
        actor,
        "register",
        feedback,
        changes_between(
            {},
            {
                "customer": customer.pk if customer else None,
                "reporter_name": reporter_name,
                "reporter_mobile": feedback.reporter_mobile_masked,
                "kind": kind,
                "channel": channel,
                "category": category,
                "received_at": received_at,
                "handler": handler.pk if handler else None,
                "policy": policy.pk,
                "due_at": feedback.due_at,
                "status": feedback.status,
            },
        ),
    )
    return feedback


def _transition(
    *,
    tenant: Tenant,
    actor: User | None,
    feedback: Feedback,
    action: str,
    fields_for: Callable[[Feedback], dict[str, Any]] = lambda row: {},
) -> Feedback:
    """Move the locked row along TRANSITIONS; `fields_for(row)` gives the other fields to set."""
    row = _locked(tenant, feedback)
    if not transition_allowed(row, action):
        raise _refuse(row, action)
    fields = fields_for(row)
    before = {"status": row.status, **{name: getattr(row, name) for name in fields}}
    row.status = TRANSITIONS[action][1]
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=["status", *fields])
    _audit(tenant, actor, action, row, changes_between(before, {"status": row.status, **fields}))
    return row


@tenant_service(Permission.WRITE)
def feedback_acknowledge(*, tenant: Tenant, actor: User | None, feedback: Feedback) -> Feedback:
    """受理: the desk has accepted the item and (per the 2012 notice) told the customer the time limit."""
    return _transition(
        tenant=tenant,
        actor=actor,
        feedback=feedback,
        action="acknowledge",
        fields_for=lambda row: {"acknowledged_at": timezone.now()},
    )


@tenant_service(Permission.WRITE)
def feedback_start(*, tenant: Tenant, actor: User | None, feedback: Feedback) -> Feedback:
    """Work starts (or restarts after a disputed resolution). Starting accepts an item not yet acknowledged."""

    def fields_for(row: Feedback) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if row.acknowledged_at is None:
            fields["acknowledged_at"] = timezone.now()
        if row.status == Status.RESOLVED:
            fields["resolved_at"] = None  # the resolution did not hold; the clock runs again
        return fields

    return _transition(tenant=tenant, actor=actor, feedback=feedback, action="start", fields_for=fields_for)


@tenant_service(Permission.WRITE)
def feedback_resolve(*, tenant: Tenant, actor: User | None, feedback: Feedback, resolution: str) -> Feedback:
    if not resolution.strip():
        raise ValidationError({"resolution": _("请填写处理结果：作出的处理决定及告知客户的情况。")})
    return _transition(
        tenant=tenant,
        actor=actor,
        feedback=feedback,
        action="resolve",
        fields_for=lambda row: {"resolution": resolution.strip(), "resolved_at": timezone.now()},
    )


@tenant_service(Permission.WRITE)
def feedback_close(
    *, tenant: Tenant, actor: User | None, feedback: Feedback, satisfaction: int | None = None
) -> Feedback:
    if satisfaction is not None and (isinstance(satisfaction, bool) or satisfaction not in range(1, 6)):
        raise ValidationError({"satisfaction": _("满意度应为 1 到 5 分。")})
    return _transition(
        tenant=tenant,
        actor=actor,
        feedback=feedback,
        action="close",
        fields_for=lambda row: {"satisfaction": satisfaction, "closed_at": timezone.now()},
    )


TRANSITION_SERVICES: dict[str, Callable[..., Feedback]] = {
    "acknowledge": feedback_acknowledge,
    "start": feedback_start,
    "resolve": feedback_resolve,
    "close": feedback_close,
}


@tenant_service(Permission.WRITE)
def feedback_assign(*, tenant: Tenant, actor: User | None, feedback: Feedback, handler: Membership | None) -> Feedback:
    row = _locked(tenant, feedback)
    if row.status in FINAL_STATUSES:
        raise _refuse(row, "assign")
    _check_handler(tenant, handler)
    before = {"handler": row.handler_id}
    row.handler = handler
    row.save(update_fields=["handler"])
    _audit(tenant, actor, "assign", row, changes_between(before, {"handler": handler.pk if handler else None}))
    return row


@tenant_service(Permission.WRITE)
def feedback_extend(
    *,
    tenant: Tenant,
    actor: User,
    feedback: Feedback,
    reason: str,
    customer_notified_at: dt.datetime,
) -> Feedback:
    """Extend the limit to the policy's next stage; the due time is recomputed from the receipt.

    Every extension needs a reason and the time the customer was told, and that notice must have
    been given before the current due time (an extension recorded after the limit ran out would
    hide a breach). The further extension to the policy's maximum (CBIRC 2020: the second one, to
    60 days) needs senior approval: the actor must hold Permission.APPROVE, and is recorded as the
    approver. There is no stage past the maximum.
    """
    row = _locked(tenant, feedback)
    if not row.is_open:
        raise ValidationError(_("只有未办结的反馈可以延期。"), code="not_open")
    if row.policy is None or row.due_at is None:
        raise ValidationError(_("该反馈没有适用的处理时限，无需延期。"), code="no_policy")
    stages = stage_days(row.policy)
    stage = row.extension_level + 1
    if stage >= len(stages):
        raise ValidationError(
            _("已达到最长处理时限（%(days)d 日），不能再延期。") % {"days": stages[-1]}, code="max_reached"
        )
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = _("请填写延期理由。")
    if customer_notified_at is None:
        errors["customer_notified_at"] = _("请填写告知客户延期的时间。")
    else:
        notified = _aware(customer_notified_at, "customer_notified_at")
        if notified < row.received_at:
            errors["customer_notified_at"] = _("告知客户的时间不能早于接收时间。")
        elif notified > timezone.now() + CLOCK_SKEW:
            errors["customer_notified_at"] = _("告知客户的时间不能晚于当前时间。")
        elif notified >= row.due_at:
            errors["customer_notified_at"] = _("须在当前处理期限届满前告知客户延期；期限已过，不能再补办延期。")
    if errors:
        raise ValidationError(errors)
    needs_approval = stage_needs_approval(row.policy, stage)
    if needs_approval:
        # Senior approval: a manager or admin of this tenant; platform code cannot approve.
        require_permission(actor_membership(tenant=tenant, actor=actor), Permission.APPROVE)

    before = {
        "extension_level": row.extension_level,
        "due_at": row.due_at,
        "days": stages[row.extension_level],
    }
    row.extension_level = stage
    row.extension_reason = reason.strip()[:500]
    row.customer_notified_of_extension_at = customer_notified_at
    due = policy_deadline(
        policy=row.policy, calendar=calendar_for_tenant(tenant=tenant), received_at=row.received_at, stage=stage
    )
    row.due_at, row.due_basis = due.at, due.basis
    update_fields = ["extension_level", "extension_reason", "customer_notified_of_extension_at", "due_at", "due_basis"]
    after: dict[str, Any] = {"extension_level": stage, "due_at": row.due_at, "days": stages[stage]}
    if needs_approval:
        row.extension_approved_by = actor
        row.extension_approved_at = timezone.now()
        update_fields += ["extension_approved_by", "extension_approved_at"]
        after["approved_by"] = actor.pk
        before["approved_by"] = None
    row.save(update_fields=update_fields)
    changes = changes_between(before, after)
    changes["reason"] = row.extension_reason
    changes["customer_notified_at"] = customer_notified_at.isoformat()
    _audit(tenant, actor, "extend", row, changes)
    return row


IncidentOpener = Callable[[Feedback], object]
_incident_opener: IncidentOpener | None = None


def incident_opener_register(opener: IncidentOpener | None) -> None:
    """Called by the incidents app (a higher layer) from its AppConfig.ready() with its own service.

    The portal's escalate action passes the registered opener to `feedback_escalate`; while none is
    registered, escalation marks the item escalated and the page says that no incident was opened.
    """
    global _incident_opener  # one process-wide hook, set once at start-up
    _incident_opener = opener


def incident_opener() -> IncidentOpener | None:
    return _incident_opener


@dataclass(frozen=True)
class Escalation:
    feedback: Feedback
    incident: object | None


@tenant_service(Permission.WRITE)
def feedback_escalate(
    *,
    tenant: Tenant,
    actor: User | None,
    feedback: Feedback,
    open_incident: IncidentOpener | None = None,
) -> Escalation:
    """Escalate an open item to an incident (升级为舆情事件). Escalated is final for the item.

    The customers app must not import incidents, so the caller passes `open_incident`, a callable
    taking the escalated Feedback (status already ESCALATED, inside this transaction) and returning
    the incident it opened or joined. It is called exactly once; if it raises, the escalation is
    rolled back with it. The link is kept on the incident side — the incidents app declares a
    relation to Feedback with `related_name="incidents"` (a ForeignKey or a ManyToManyField), so
    `feedback.incidents.all()` answers "which incidents" (see selectors.feedback.feedback_incidents).
    The audit event names the incident when one was opened.
    """
    row = _transition(tenant=tenant, actor=actor, feedback=feedback, action="escalate")
    incident = open_incident(row) if open_incident is not None else None
    if incident is not None:
        label = getattr(getattr(incident, "_meta", None), "label_lower", type(incident).__name__)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="feedback.incident_linked",
            target=row,
            changes={"incident": f"{label}:{getattr(incident, 'pk', '')}"},
        )
    return Escalation(feedback=row, incident=incident)

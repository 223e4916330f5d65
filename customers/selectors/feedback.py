"""Read queries of feedback and complaints. Every one takes the tenant; lists cost a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.filters import FeedbackFilter
from customers.models import ComplaintPolicy, Customer, Feedback
from customers.services.policies import DUE_SOON_DAYS
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Membership, Tenant
from yuqing.tenancy.roles import ROLE_PERMISSIONS, Permission
from yuqing.tenancy.selectors import get_for_tenant

OPEN = list(Feedback.OPEN_STATUSES)


def _base(tenant: Tenant) -> models.QuerySet[Feedback]:
    return Feedback.objects.for_tenant(tenant).select_related("customer", "handler__user", "policy")


def feedback_list(
    *,
    tenant: Tenant,
    filters: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    within: dt.timedelta | None = None,
) -> FeedbackFilter:
    """The tenant's items, newest receipt first, through FeedbackFilter. Returns the filterset
    (its `.qs` is the queryset; its `.form` carries the errors and the tenant-scoped choices).

    `within`: the "due soon" window when the caller has it already; else it is read only if the
    due-soon filter is used.
    """
    return FeedbackFilter(
        filters or {},
        queryset=_base(tenant).order_by("-received_at", "-pk"),
        tenant=tenant,
        now=now or timezone.now(),
        handlers=handler_choices(tenant=tenant),
        due_soon_window=(lambda: within) if within is not None else (lambda: due_soon_window(tenant=tenant)),
    )


def feedback_get(*, tenant: Tenant, pk: object) -> Feedback:
    """One item of the tenant, or Http404 (another tenant's and a missing one look alike)."""
    return get_for_tenant(_base(tenant).select_related("extension_approved_by"), tenant=tenant, pk=pk)


def feedback_overdue(*, tenant: Tenant, now: dt.datetime) -> models.QuerySet[Feedback]:
    """Open items whose due time has passed (due at or before `now`), oldest due first.

    One query on the (tenant, status, due_at) index.
    """
    return _base(tenant).filter(status__in=OPEN, due_at__lte=now).order_by("due_at", "pk")


def feedback_due_soon(*, tenant: Tenant, now: dt.datetime, within: dt.timedelta) -> models.QuerySet[Feedback]:
    """Open items not yet due whose due time falls within `within` of `now`, soonest first."""
    return _base(tenant).filter(status__in=OPEN, due_at__gt=now, due_at__lte=now + within).order_by("due_at", "pk")


def due_soon_window(*, tenant: Tenant) -> dt.timedelta:
    """How far ahead "due soon" looks: the default policy's setting, else three days."""
    policies = ComplaintPolicy.objects.for_tenant(tenant).filter(is_default=True)
    days = policies.values_list("due_soon_days", flat=True).first()
    return dt.timedelta(days=days if days is not None else DUE_SOON_DAYS)


def feedback_counts(*, tenant: Tenant, now: dt.datetime, within: dt.timedelta | None = None) -> dict[str, int]:
    """{open, overdue, due_soon} for the dashboard, in one query (plus one for the window)."""
    within = within if within is not None else due_soon_window(tenant=tenant)
    return (
        Feedback.objects.for_tenant(tenant)
        .filter(status__in=OPEN)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lte=now)),
            due_soon=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + within)),
        )
    )


def feedback_incidents(*, tenant: Tenant, feedback: Feedback) -> list[Any]:
    """The incidents opened from this item, through the incidents app's reverse relation.

    The incidents app declares its relation to Feedback with related_name="incidents" (a
    ManyToManyField or a ForeignKey); the rows are read in `tenant` only. Without such a relation
    the answer is empty.
    """
    related = getattr(feedback, "incidents", None)
    if related is None:
        return []
    back = getattr(related, "query_field_name", None) or related.field.name
    return list(related.model.objects.for_tenant(tenant).filter(**{back: feedback}).order_by("pk"))


def handler_choices(*, tenant: Tenant) -> models.QuerySet[Membership]:
    """Members who may handle feedback: active, in a role that may write."""
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.WRITE in permissions]
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True, role__in=roles)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )


def customer_choices(*, tenant: Tenant) -> models.QuerySet[Customer]:
    return Customer.objects.for_tenant(tenant).only("pk", "name", "kind", "tenant_id").order_by("name", "pk")


# --- history ---------------------------------------------------------------------------------

ACTION_LABELS = {
    "feedback.register": gettext_lazy("登记"),
    "feedback.acknowledge": gettext_lazy("受理"),
    "feedback.start": gettext_lazy("开始处理"),
    "feedback.resolve": gettext_lazy("处理完毕"),
    "feedback.close": gettext_lazy("关闭"),
    "feedback.assign": gettext_lazy("指派处理人"),
    "feedback.extend": gettext_lazy("延期"),
    "feedback.escalate": gettext_lazy("升级为事件"),
    "feedback.incident_linked": gettext_lazy("关联事件"),
}


def feedback_history(*, tenant: Tenant, feedback: Feedback) -> list[AuditEvent]:
    """The item's audit events, oldest first: its status history (one indexed query)."""
    events = list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(object_type=Feedback._meta.label_lower, object_id=str(feedback.pk))
        .order_by("sequence")
    )
    labels = dict(Feedback.Status.choices)
    for event in events:
        changes = event.changes or {}
        status = changes.get("status") or {}
        event.label = ACTION_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
        event.status_before = labels.get(status.get("before"), "")  # type: ignore[attr-defined]
        event.status_after = labels.get(status.get("after"), "")  # type: ignore[attr-defined]
        event.detail = _event_detail(event.action, changes)  # type: ignore[attr-defined]
    return events


def _event_detail(action: str, changes: dict[str, Any]) -> str:
    if action == "feedback.extend":
        days = (changes.get("days") or {}).get("after")
        text = _("延至 %(days)s 日") % {"days": days}
        return text + (_("（主管审批）") if "approved_by" in changes else "")
    if action == "feedback.incident_linked":
        return str(changes.get("incident", ""))
    return ""


@dataclass(frozen=True)
class ExtensionRecord:
    at: dt.datetime
    actor: str
    level: int
    days: int | None
    due_before: dt.datetime | None
    due_after: dt.datetime | None
    due_after_label: str
    reason: str
    customer_notified_at: dt.datetime | None
    approved: bool


def _when(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def feedback_extensions(*, history: list[AuditEvent], time_zone: str) -> list[ExtensionRecord]:
    """The extension history, read from the item's audit events (already fetched for the page)."""
    records = []
    for event in history:
        if event.action != "feedback.extend":
            continue
        changes = event.changes or {}
        due_after = _when((changes.get("due_at") or {}).get("after"))
        records.append(
            ExtensionRecord(
                at=event.created_at,
                actor=event.actor_label,
                level=int((changes.get("extension_level") or {}).get("after") or 0),
                days=(changes.get("days") or {}).get("after"),
                due_before=_when((changes.get("due_at") or {}).get("before")),
                due_after=due_after,
                due_after_label=due_label(due_after, time_zone) if due_after else "",
                reason=changes.get("reason", ""),
                customer_notified_at=_when(changes.get("customer_notified_at")),
                approved="approved_by" in changes,
            )
        )
    return records


# --- due-time display ------------------------------------------------------------------------


@dataclass(frozen=True)
class DueState:
    label: str  # "2025-10-15 24:00"
    remaining: str  # "剩余 3 天" / "已逾期 2 天" / "按期办结"
    css: str  # "danger" overdue, "warning" due soon, "" otherwise
    is_overdue: bool


def due_label(due_at: dt.datetime, time_zone: str) -> str:
    """A day clock ends at 24:00 of its last day: show that, not 00:00 of the next day."""
    local = due_at.astimezone(zoneinfo.ZoneInfo(time_zone))
    if local.time() == dt.time(0):
        return f"{(local - dt.timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def _span(delta: dt.timedelta) -> tuple[int, bool]:
    """Whole days when a day or more, else started hours (at least one)."""
    if delta >= dt.timedelta(days=1):
        return delta.days, True
    return max(1, math.ceil(delta.total_seconds() / 3600)), False


def due_state(feedback: Feedback, *, now: dt.datetime, within: dt.timedelta, time_zone: str) -> DueState | None:
    if feedback.due_at is None:
        return None
    label = due_label(feedback.due_at, time_zone)
    if feedback.status == Feedback.Status.ESCALATED:
        return DueState(label, _("已升级"), "", False)
    if not feedback.is_open:
        done_at = feedback.resolved_at or feedback.closed_at
        if done_at is None:
            return DueState(label, _("已办结"), "", False)
        in_time = done_at < feedback.due_at
        return DueState(label, _("按期办结") if in_time else _("超期办结"), "" if in_time else "danger", False)
    if feedback.due_at <= now:
        amount, days = _span(now - feedback.due_at)
        text = (
            ngettext("已逾期 %(n)d 天", "已逾期 %(n)d 天", amount)
            if days
            else ngettext("已逾期 %(n)d 小时", "已逾期 %(n)d 小时", amount)
        )
        return DueState(label, text % {"n": amount}, "danger", True)
    amount, days = _span(feedback.due_at - now)
    text = (
        ngettext("剩余 %(n)d 天", "剩余 %(n)d 天", amount)
        if days
        else ngettext("剩余 %(n)d 小时", "剩余 %(n)d 小时", amount)
    )
    return DueState(label, text % {"n": amount}, "warning" if feedback.due_at - now <= within else "", False)

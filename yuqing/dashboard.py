"""Figures for the home dashboard: real counts of what the tenant has, by module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Membership, Role, Tenant

ACTIVITY_DAYS = 14


def home_figures(*, tenant: Tenant) -> dict[str, Any]:
    today = timezone.localdate()
    since = today - dt.timedelta(days=ACTIVITY_DAYS - 1)
    per_day = dict(
        AuditEvent.objects.for_tenant(tenant)
        .filter(created_at__date__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = [since + dt.timedelta(days=offset) for offset in range(ACTIVITY_DAYS)]
    active_members = Membership.objects.for_tenant(tenant).filter(is_active=True)
    departments = department_member_counts(tenant=tenant)
    members_without_department = active_members.filter(department__isnull=True).count()
    roles = role_member_counts(tenant=tenant)
    return {
        "counts": {
            "members": active_members.count(),
            "departments": Department.objects.for_tenant(tenant).filter(is_active=True).count(),
            "audit_events": AuditEvent.objects.for_tenant(tenant).count(),
            "audit_events_today": per_day.get(today, 0),
        },
        "activity": {
            "days": [day.strftime("%m-%d") for day in days],
            "events": [per_day.get(day, 0) for day in days],
            "total": sum(per_day.get(day, 0) for day in days),
        },
        "departments": departments,
        "members_without_department": members_without_department,
        "roles": roles,
        # The longest bar of each list spans the full width.
        "department_scale": max([d.member_count for d in departments] + [members_without_department, 1]),
        "role_scale": max([r["count"] for r in roles] + [1]),
    }


def department_member_counts(*, tenant: Tenant) -> list[Department]:
    """The tenant's active departments, each with `member_count` of its active members."""
    return list(
        Department.objects.for_tenant(tenant)
        .filter(is_active=True)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True, members__tenant=tenant)))
        .order_by("-member_count", "name")
    )


def role_member_counts(*, tenant: Tenant) -> list[dict[str, Any]]:
    """Active members per role, in the roles' own order, roles without members left out."""
    counts = dict(
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .values_list("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    return [
        {"role": role.value, "label": role.label, "count": counts[role.value]}
        for role in Role
        if counts.get(role.value)
    ]

"""Figures for the home dashboard: real counts of what the tenant has, by module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Membership, Tenant

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
    return {
        "counts": {
            "members": Membership.objects.for_tenant(tenant).filter(is_active=True).count(),
            "departments": Department.objects.for_tenant(tenant).filter(is_active=True).count(),
            "audit_events": AuditEvent.objects.for_tenant(tenant).count(),
            "audit_events_today": per_day.get(today, 0),
        },
        "activity": {
            "days": [day.strftime("%m-%d") for day in days],
            "events": [per_day.get(day, 0) for day in days],
        },
    }

"""Reads of the audit trail, always of one tenant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from yuqing.audit.filters import AuditEventFilter
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.context import TenantMismatch
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.selectors import get_for_tenant


def audit_event_list(
    *, tenant: Tenant, filters: AuditEventFilter | Mapping[str, Any] | None = None
) -> QuerySet[AuditEvent]:
    """The tenant's events, newest first, narrowed by `filters` (a bound filter set or its data).

    Fields that do not validate are left out of the filtering, as django-filter does; the form
    shows their errors.
    """
    queryset = AuditEvent.objects.for_tenant(tenant).select_related("actor").order_by("-sequence")
    if filters is None:
        return queryset
    if not isinstance(filters, AuditEventFilter):
        filters = AuditEventFilter(filters, tenant=tenant)
    elif filters.tenant.pk != tenant.pk:
        raise TenantMismatch(f"A filter set of tenant {filters.tenant.pk} used for tenant {tenant.pk}.")
    if not filters.is_bound:
        return queryset
    filters.errors  # noqa: B018 -- validates the form, which filter_queryset reads
    return filters.filter_queryset(queryset)


def audit_event_get(*, tenant: Tenant, pk: int) -> AuditEvent:
    """One event of `tenant`; another tenant's and a missing one are both Http404."""
    return get_for_tenant(AuditEvent.objects.for_tenant(tenant).select_related("actor"), tenant=tenant, pk=pk)


def audit_event_neighbours(*, tenant: Tenant, event: AuditEvent) -> tuple[AuditEvent | None, AuditEvent | None]:
    """The events just before and after `event` in the tenant's chain (None where there is none)."""
    around = {
        neighbour.sequence: neighbour
        for neighbour in AuditEvent.objects.for_tenant(tenant).filter(
            sequence__in=[event.sequence - 1, event.sequence + 1]
        )
    }
    return around.get(event.sequence - 1), around.get(event.sequence + 1)

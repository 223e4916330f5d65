"""RQ jobs of the training app: thin, each calls one service."""

from __future__ import annotations

from django.utils import timezone

from training.services import training_reminders_send
from yuqing.platform.queue import enqueue, tenant_job
from yuqing.tenancy.models import Tenant


@tenant_job
def training_reminders_tenant(tenant: Tenant) -> dict[str, int]:
    """One tenant's reminders: expiring certifications and missing required courses, once each."""
    result = training_reminders_send(tenant=tenant, now=timezone.now())
    return {"expiring": result.expiring, "missing": result.missing}


def training_reminders_all_tenants() -> int:
    """The daily sweep: one job per active tenant (a big tenant does not hold up the others)."""
    tenants = list(Tenant.objects.filter(is_active=True).order_by("pk"))
    for tenant in tenants:
        enqueue("training.jobs.training_reminders_tenant", tenant_id=tenant.pk, job_timeout=1800)
    return len(tenants)

"""RQ jobs of the customers app: thin, they re-fetch by id and call the services."""

from __future__ import annotations

from customers.services import tiering
from customers.services.pending_imports import pending_imports_purge
from yuqing.platform.queue import enqueue, tenant_job
from yuqing.tenancy.models import Tenant


@tenant_job
def tier_recompute_customer(tenant: Tenant, *, customer_id: int) -> int:
    """After a customer changed: it and the customers below it in its group. Returns how many changed."""
    return tiering.customer_tier_recompute_with_group(tenant=tenant, customer_id=customer_id)


@tenant_job
def tier_recompute_tenant(tenant: Tenant) -> dict[str, int]:
    """After a rule changed, and nightly: every customer of the tenant."""
    result = tiering.tier_recompute_tenant(tenant=tenant)
    return {"checked": result.checked, "changed": result.changed}


def tier_recompute_all_tenants() -> int:
    """The nightly sweep: one job per active tenant, so a big tenant does not hold up the others.

    Also what makes expired manual overrides fall back to the rules, and what catches a
    recompute lost when Redis was down at commit.
    """
    tenants = list(Tenant.objects.filter(is_active=True).order_by("pk"))
    for tenant in tenants:
        enqueue("customers.jobs.tier_recompute_tenant", tenant_id=tenant.pk, job_timeout=3600)
    return len(tenants)


def pending_imports_purge_job() -> int:
    """Every 10 minutes: delete expired pending import files of every tenant (they hold personal data)."""
    return pending_imports_purge()

"""RQ jobs of notify: thin, they call the dispatch services."""

from __future__ import annotations

from dataclasses import asdict

from yuqing.notify.services import dispatch
from yuqing.platform.queue import tenant_job
from yuqing.tenancy.models import Tenant


@tenant_job
def deliveries_send(tenant: Tenant, channel_id: int) -> dict[str, object]:
    """Send what is due on one channel (merged into one message when several are due)."""
    return asdict(dispatch.deliveries_send_due(tenant=tenant, channel_id=channel_id))


def deliveries_sweep() -> dict[str, int]:
    """Every minute (yuqing.cron): a send job for each channel with rows no job is coming for.

    A platform job across tenants; each job it enqueues takes its tenant's id and re-scopes.
    """
    return asdict(dispatch.deliveries_requeue_due())

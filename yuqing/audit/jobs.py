"""RQ jobs of the audit trail. The nightly schedule is declared in the cron module."""

from __future__ import annotations

import logging

from django.conf import settings

from yuqing.audit.services.checkpoint import checkpoints_without_tenant
from yuqing.audit.services.verify import chain_verify_all
from yuqing.tenancy.models import Tenant

logger = logging.getLogger(__name__)


class AuditChainBroken(RuntimeError):
    """At least one tenant's audit hash chain does not hold; the job fails so it shows in RQ's failed jobs."""


def audit_verify_all() -> dict[str, int]:
    """Verify every tenant's chain. Returns {tenant slug: events checked}; raises if any chain is broken.

    A platform job: it spans tenants on purpose, each checked inside its own tenant context.
    Every tenant is checked before raising, so one break does not hide another. Each chain is also
    compared with its signed checkpoint outside the database, and an intact one checkpointed anew.
    """
    checked: dict[str, int] = {}
    broken: list[str] = []
    for report in chain_verify_all():
        checked[report.tenant.slug] = report.events_checked
        if report.is_intact:
            # Also in the log: a second record of the head, beside the signed checkpoint file.
            logger.info(
                "audit chain OK: tenant=%s events=%s head_sequence=%s head_hash=%s",
                report.tenant.slug,
                report.events_checked,
                report.head_sequence,
                report.head_hash,
            )
            continue
        if (fault := report.first_break) is not None:
            logger.error(
                "audit chain BROKEN: tenant=%s sequence=%s event_id=%s problem=%s",
                report.tenant.slug,
                fault.sequence,
                fault.event_id,
                fault.problem,
            )
            broken.append(f"{report.tenant.slug}#{fault.sequence}")
        if report.checkpoint_problem is not None:
            logger.error("audit chain CHECKPOINT: tenant=%s problem=%s", report.tenant.slug, report.checkpoint_problem)
            if fault is None:
                broken.append(f"{report.tenant.slug}#checkpoint")
    for problem in checkpoints_without_tenant(
        tenant_ids=set(Tenant.objects.values_list("pk", flat=True)), directory=settings.AUDIT_CHECKPOINT_DIR
    ):
        logger.error("audit chain CHECKPOINT WITHOUT TENANT: %s", problem)
        broken.append("checkpoint-without-tenant")
    if broken:
        raise AuditChainBroken(f"audit hash chain broken: {', '.join(broken)}")
    return checked

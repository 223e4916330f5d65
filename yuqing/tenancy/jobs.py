"""How RQ jobs run for a tenant: they take its id, re-fetch it, and work inside its context."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import django_rq
from rq.job import Job

from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.models import Tenant

R = TypeVar("R")


def tenant_job(func: Callable[..., R]) -> Callable[..., R]:
    """Wrap a job body `func(tenant, ...)` so the job itself takes `tenant_id` first.

    The tenant is fetched again (it may have been deactivated since enqueueing: then the job
    does nothing), the body runs with that tenant as the current one, and the context is reset
    when it ends, whatever happened.
    """

    @wraps(func)
    def run(tenant_id: int, *args: Any, **kwargs: Any) -> R | None:
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
        if tenant is None:
            return None
        with tenant_context(tenant):
            return func(tenant, *args, **kwargs)

    return run


def enqueue_for_tenant(job: Callable[..., Any], *, tenant: Tenant, queue: str = "default", **kwargs: Any) -> Job | None:
    """Enqueue `job` for `tenant`. With the default commit mode it is sent when the transaction commits."""
    return django_rq.get_queue(queue).enqueue(job, tenant.pk, **kwargs)

"""How work reaches the RQ workers: one way to queue a job, and one way for a job to work for a tenant.

Services never import a jobs module: they name the job by its dotted path (`"customers.jobs.
tier_recompute_customer"`), and `enqueue` sends it once the surrounding transaction commits, so
a worker never reads rows that are not committed yet, and a rolled-back write queues nothing. The
database stays the source of truth: when Redis cannot be reached the failure is logged and the
app's periodic sweep finds the work again (pending mentions, due deliveries...), so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import django_rq
from django.db import transaction
from django_rq.queues import get_commit_mode
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError

from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.models import Tenant

logger = logging.getLogger(__name__)
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


def enqueue(
    path: str,
    *,
    tenant_id: int,
    queue: str = "default",
    at: dt.datetime | None = None,
    once_per_transaction: bool = False,
    **options: Any,
) -> bool | None:
    """Queue the job `path` (`"app.jobs.function"`) for `tenant_id`, once the transaction commits.

    `options` are RQ's (`job_id`, `unique`, `job_timeout`, `result_ttl`...) and the job's own
    keyword arguments, as for `Queue.enqueue`; `at` schedules it for a later time instead.
    `once_per_transaction`: a second identical call in the same transaction queues nothing (a
    batch that touches one channel fifty times needs one send job).

    Outside a transaction (or with RQ's commit mode "auto", as in tests) it is sent at once and
    the answer says whether it was: False for a duplicate unique job or Redis out of reach. Inside
    one it is sent after the commit and the answer is None.
    """
    send = _Send(path=path, tenant_id=tenant_id, queue=queue, at=at, options=options)
    connection = transaction.get_connection()
    if get_commit_mode() == "auto" or not connection.in_atomic_block:
        return send()
    if once_per_transaction and any(
        getattr(callback, "key", None) == send.key for _, callback, _ in connection.run_on_commit
    ):
        return None
    transaction.on_commit(send)
    return None


class _Send:
    """The enqueue itself, as an on-commit callback that knows what it sends (for `once_per_transaction`)."""

    def __init__(
        self, *, path: str, tenant_id: int, queue: str, at: dt.datetime | None, options: dict[str, Any]
    ) -> None:
        self.path, self.tenant_id, self.queue, self.at, self.options = path, tenant_id, queue, at, options
        self.key = (path, tenant_id, queue, at, tuple(sorted((k, repr(v)) for k, v in options.items())))

    def __call__(self) -> bool:
        # Already after the commit (or outside any transaction): django-rq must not defer it again.
        rq_queue = django_rq.get_queue(self.queue, commit_mode="auto")
        try:
            if self.at is not None:
                rq_queue.enqueue_at(self.at, self.path, self.tenant_id, **self.options)
            else:
                rq_queue.enqueue(self.path, self.tenant_id, **self.options)
        except DuplicateJobError:
            return False
        except (RedisError, OSError) as error:
            logger.warning(
                "Job %s for tenant %s not queued (%s); its sweep will find the work.", self.path, self.tenant_id, error
            )
            return False
        return True

"""The one guard every service stands behind: the tenant's context, who may act, one transaction.

    @tenant_service(Permission.WRITE)
    def customer_update(*, tenant: Tenant, actor: User | None, customer: Customer, data: dict) -> Customer:
        ...

Who may act, written once here: `actor=None` is platform code (a job, a command, demo data, a hook
of another service), a superuser is the platform operator working in the Django admin; both may,
and the audit events name them. Anyone else needs `permission` through an active membership of
`tenant`. A service whose permission depends on its arguments (approving a phase, revealing
personal data) takes the lower one in the decorator and calls `require_actor` for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction

from yuqing.tenancy.context import ALL_TENANTS, TenantMismatch, peek_current_tenant, tenant_context
from yuqing.tenancy.roles import Permission, has_permission, require_permission
from yuqing.tenancy.selectors import membership_of

if TYPE_CHECKING:
    from yuqing.tenancy.models import Membership, Tenant, User

R = TypeVar("R")


def is_platform_actor(actor: User | None) -> bool:
    """Platform code (no actor) or the platform operator (a superuser): not bound by tenant roles."""
    return actor is None or actor.is_superuser


def actor_may(*, tenant: Tenant, actor: User | None, permission: Permission) -> bool:
    return is_platform_actor(actor) or has_permission(membership_of(tenant=tenant, user=actor), permission)


def require_actor(*, tenant: Tenant, actor: User | None, permission: Permission) -> None:
    """Raise PermissionDenied (with the user's message) unless `actor` may use `permission` in `tenant`."""
    if not is_platform_actor(actor):
        require_permission(membership_of(tenant=tenant, user=actor), permission)


def actor_membership(*, tenant: Tenant, actor: User | None) -> Membership | None:
    """The actor's membership of `tenant`, for recording who did it; None for platform code."""
    if actor is None or not actor.is_authenticated:
        return None
    return membership_of(tenant=tenant, user=actor)


@contextmanager
def working_for(tenant: Tenant) -> Iterator[Tenant]:
    """`tenant` as the current tenant for the block.

    In a request the middleware has set it already; a job, a command or a test enters it here, and
    so does the superusers' admin (platform mode narrows to the tenant being written). Another
    tenant current is a bug in the caller and is refused.
    """
    current = peek_current_tenant()
    if current is None or current is ALL_TENANTS:
        with tenant_context(tenant):
            yield tenant
        return
    if current.pk != tenant.pk:  # type: ignore[union-attr]
        raise TenantMismatch(f"Service for tenant {tenant.pk} called while working for tenant {current.pk}.")  # type: ignore[union-attr]
    yield tenant


def tenant_service(
    permission: Permission | None = Permission.WRITE, *, atomic: bool = True
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorate a service `f(*, tenant, actor=None, ...)`: enter the tenant, check the actor, run atomically.

    `permission=None`: a service of platform code only (no actor), such as a job's body or an
    intake hook; it still works inside its tenant and one transaction. `atomic=False` for a service
    that commits in steps of its own (a long import, a send that must not hold a transaction).
    """

    def decorator(func: Callable[..., R]) -> Callable[..., R]:
        @wraps(func)
        def run(*args: Any, **kwargs: Any) -> R:
            tenant = kwargs["tenant"]
            with working_for(tenant):
                if permission is not None:
                    require_actor(tenant=tenant, actor=kwargs.get("actor"), permission=permission)
                if not atomic:
                    return func(*args, **kwargs)
                with transaction.atomic():
                    return func(*args, **kwargs)

        run.permission = permission  # type: ignore[attr-defined]
        return run

    return decorator

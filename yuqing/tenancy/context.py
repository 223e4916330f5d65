"""The current tenant, held in a context variable and failing closed.

Three states: no tenant (any scoped query raises `TenantNotSet`), one tenant (scoped queries
filter by it), or platform mode, entered only through `dangerously_all_tenants()`, for the
superusers' admin and platform-wide jobs. The middleware and the job decorator reset it after
every request and job.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yuqing.tenancy.models import Tenant


class TenantNotSet(RuntimeError):
    """Tenant data was queried with no current tenant: a bug, never a user error."""


class TenantMismatch(RuntimeError):
    """Code asked for one tenant's rows while working for another."""


class _AllTenants:
    def __repr__(self) -> str:
        return "<all tenants>"


ALL_TENANTS = _AllTenants()

_current: contextvars.ContextVar[Tenant | _AllTenants | None] = contextvars.ContextVar(
    "yuqing_current_tenant", default=None
)


def get_current_tenant() -> Tenant | None:
    """The tenant being worked for; None in platform mode; raises when nothing is set."""
    value = _current.get()
    if value is None:
        raise TenantNotSet("No current tenant: wrap the work in tenant_context(tenant).")
    if value is ALL_TENANTS:
        return None
    return value  # type: ignore[return-value]


def peek_current_tenant() -> Tenant | _AllTenants | None:
    """What is set, without failing: for code that only reports it."""
    return _current.get()


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    if tenant is None:
        raise TenantNotSet("tenant_context() needs a tenant.")
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)


@contextmanager
def dangerously_all_tenants() -> Iterator[None]:
    """Platform mode: scoped managers stop filtering. Superusers' admin and platform jobs only."""
    token = _current.set(ALL_TENANTS)
    try:
        yield
    finally:
        _current.reset(token)


def set_current_tenant(value: Tenant | _AllTenants | None) -> contextvars.Token:
    return _current.set(value)


def reset_current_tenant(token: contextvars.Token) -> None:
    _current.reset(token)

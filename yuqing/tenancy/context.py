"""The current tenant, held in a context variable and failing closed.

Three states: no tenant (any scoped query raises `TenantNotSet`), one tenant (scoped queries
filter by it), or platform mode, entered only through `dangerously_all_tenants()`, for the
superusers' admin and platform-wide jobs. The middleware and the job decorator reset it after
every request and job.
"""

from __future__ import annotations

import contextlib
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


# What PostgreSQL's row-level security sees (yuqing/postgres/): the tenant context above, unless a
# query names its own scope: a `for_tenant(t)` or `dangerously_all_tenants()` queryset, or a tenant
# row saved, deleted or followed by a foreign key outside any context (a service, a command). It
# narrows or widens only what the database lets through; the ORM's scoping above is unchanged.
_database_scope: contextvars.ContextVar[int | _AllTenants | None] = contextvars.ContextVar(
    "yuqing_database_scope", default=None
)


@contextmanager
def database_scope(scope: int | _AllTenants | None) -> Iterator[None]:
    """Run the block's queries with the database seeing `scope` (a tenant id, or ALL_TENANTS)."""
    if scope is None:
        yield
        return
    token = _database_scope.set(scope)
    try:
        yield
    finally:
        _database_scope.reset(token)


def database_setting() -> tuple[str, str]:
    """(tenant id, platform flag) for the policies: ('', '') with no tenant at all, so 0 rows."""
    scope = _database_scope.get()
    if scope is None:
        current = _current.get()
        scope = current if current is ALL_TENANTS or current is None else current.pk
    if scope is ALL_TENANTS:
        return ("", "on")
    if scope is None:
        return ("", "")
    return (str(scope), "")


def tenant_sql_scope(tenant: Tenant) -> contextlib.AbstractContextManager[None]:
    """For raw SQL that filters by `tenant` itself: outside any context, the database sees that tenant."""
    return database_scope(tenant.pk if _current.get() is None else None)

"""The scoped queryset every tenant-owned model uses as its default manager."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from django.db import models

from yuqing.tenancy.context import (
    ALL_TENANTS,
    TenantMismatch,
    TenantNotSet,
    database_scope,
    peek_current_tenant,
)

if TYPE_CHECKING:
    from yuqing.tenancy.models import Tenant


class TenantQuerySet(models.QuerySet):
    """A queryset that refuses to run while it still needs a tenant.

    Building one never fails (model forms and the admin build querysets at import time); running
    it, counting it, updating it or using it as a subquery does, until `for_tenant()` scoped it.
    """

    _unscoped_reason: str | None = None
    # What the database is told while this queryset runs (row-level security on PostgreSQL): the
    # tenant id of `for_tenant()`, ALL_TENANTS for `dangerously_all_tenants()`, else the context's.
    _database_scope: Any = None

    def _clone(self) -> TenantQuerySet:
        clone = super()._clone()
        clone._unscoped_reason = self._unscoped_reason
        clone._database_scope = self._database_scope
        return clone

    def _in_scope(self) -> AbstractContextManager[None]:
        return database_scope(self._database_scope)

    def _scoped_iterator(self, rows: Iterator[Any]) -> Iterator[Any]:
        # A chunked (server-side) iterator fetches as it goes: each fetch runs in the scope.
        while True:
            with self._in_scope():
                try:
                    row = next(rows)
                except StopIteration:
                    return
            yield row

    def _require_scope(self) -> None:
        if self._unscoped_reason is not None:
            raise TenantNotSet(self._unscoped_reason)

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet:
        if tenant is None:
            raise TenantNotSet("for_tenant() needs a tenant.")
        scoped = self.filter(tenant=tenant)
        scoped._unscoped_reason = None
        scoped._database_scope = getattr(tenant, "pk", tenant)
        return scoped

    def none(self) -> TenantQuerySet:
        empty = super().none()
        empty._unscoped_reason = None
        return empty

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
            with self._in_scope():
                super()._fetch_all()
            return
        super()._fetch_all()

    def iterator(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        rows = super().iterator(*args, **kwargs)
        return rows if self._database_scope is None else self._scoped_iterator(rows)

    def count(self) -> int:
        self._require_scope()
        with self._in_scope():
            return super().count()

    def exists(self) -> bool:
        self._require_scope()
        with self._in_scope():
            return super().exists()

    def aggregate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        with self._in_scope():
            return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        with self._in_scope():
            return super().update(**kwargs)

    def delete(self):  # type: ignore[no-untyped-def]
        self._require_scope()
        with self._in_scope():
            return super().delete()

    def bulk_update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self._in_scope():
            return super().bulk_update(*args, **kwargs)

    def resolve_expression(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        return super().resolve_expression(*args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Filters by the current tenant; raises with none set.

    `for_tenant(t)` is the explicit form and works with or without a current tenant, but refuses
    to reach a tenant other than the current one. `dangerously_all_tenants()` is the one way
    round the scope, and says so.
    """

    def get_queryset(self) -> TenantQuerySet:
        current = peek_current_tenant()
        queryset = super().get_queryset()
        if current is None:
            queryset._unscoped_reason = (
                f"{self.model.__name__} queried with no current tenant; "
                "use .for_tenant(tenant) or tenant_context(tenant)."
            )
            return queryset
        if current is ALL_TENANTS:
            return queryset
        return queryset.filter(tenant=current)

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet:
        if tenant is None:
            raise TenantNotSet("for_tenant() needs a tenant.")
        current = peek_current_tenant()
        if current is not None and current is not ALL_TENANTS and current.pk != tenant.pk:
            raise TenantMismatch(f"Working for tenant {current.pk}, asked for tenant {tenant.pk}.")
        return super().get_queryset().for_tenant(tenant)

    def dangerously_all_tenants(self) -> TenantQuerySet:
        queryset = super().get_queryset()
        queryset._database_scope = ALL_TENANTS
        return queryset

    # Inserts name their tenant on each row, so they need no current tenant, only a matching one.
    def create(self, **kwargs):  # type: ignore[no-untyped-def]
        scope = self._check_rows_tenant([kwargs.get("tenant") or kwargs.get("tenant_id")])
        with database_scope(scope):
            return super().get_queryset().create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def]
        objs = list(objs)
        scope = self._check_rows_tenant([obj.tenant_id for obj in objs])
        with database_scope(scope):
            return super().get_queryset().bulk_create(objs, *args, **kwargs)

    def _check_rows_tenant(self, tenants: list[object]) -> Any:
        """Refuses rows of another tenant than the current one; returns the database scope the
        insert needs outside any context: the rows' one tenant (several only in platform mode)."""
        current = peek_current_tenant()
        ids = set()
        for value in tenants:
            tenant_id = getattr(value, "pk", value)
            if tenant_id is None:
                raise TenantNotSet(f"A new {self.model.__name__} needs its tenant.")
            if current is not None and current is not ALL_TENANTS and current.pk != tenant_id:
                raise TenantMismatch(f"Working for tenant {current.pk}, writing a row of tenant {tenant_id}.")
            ids.add(tenant_id)
        if current is None and len(ids) == 1:
            return ids.pop()
        return None


class TenantBaseQuerySet(models.QuerySet):
    """What Django uses behind the scenes (a foreign key followed, `refresh_from_db`, `save`'s
    UPDATE): unscoped in the ORM, as Django requires, and in the database run in the tenant of the
    instance it was reached from when no tenant is current (a service, a command)."""

    def _instance_scope(self) -> AbstractContextManager[None]:
        if peek_current_tenant() is not None:
            return database_scope(None)
        instance = self._hints.get("instance")
        return database_scope(getattr(instance, "tenant_id", None))

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            with self._instance_scope():
                super()._fetch_all()
            return
        super()._fetch_all()


class TenantBaseManager(models.Manager.from_queryset(TenantBaseQuerySet)):  # type: ignore[misc]
    pass

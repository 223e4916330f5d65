"""The scoped queryset every tenant-owned model uses as its default manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from yuqing.tenancy.context import ALL_TENANTS, TenantMismatch, TenantNotSet, peek_current_tenant

if TYPE_CHECKING:
    from yuqing.tenancy.models import Tenant


class TenantQuerySet(models.QuerySet):
    """A queryset that refuses to run while it still needs a tenant.

    Building one never fails (model forms and the admin build querysets at import time); running
    it, counting it, updating it or using it as a subquery does, until `for_tenant()` scoped it.
    """

    _unscoped_reason: str | None = None

    def _clone(self) -> TenantQuerySet:
        clone = super()._clone()
        clone._unscoped_reason = self._unscoped_reason
        return clone

    def _require_scope(self) -> None:
        if self._unscoped_reason is not None:
            raise TenantNotSet(self._unscoped_reason)

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet:
        if tenant is None:
            raise TenantNotSet("for_tenant() needs a tenant.")
        scoped = self.filter(tenant=tenant)
        scoped._unscoped_reason = None
        return scoped

    def none(self) -> TenantQuerySet:
        empty = super().none()
        empty._unscoped_reason = None
        return empty

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        self._require_scope()
        return super().update(**kwargs)

    def delete(self):  # type: ignore[no-untyped-def]
        self._require_scope()
        return super().delete()

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
        return super().get_queryset()

    # Inserts name their tenant on each row, so they need no current tenant, only a matching one.
    def create(self, **kwargs):  # type: ignore[no-untyped-def]
        self._check_rows_tenant([kwargs.get("tenant") or kwargs.get("tenant_id")])
        return super().get_queryset().create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def]
        objs = list(objs)
        self._check_rows_tenant([obj.tenant_id for obj in objs])
        return super().get_queryset().bulk_create(objs, *args, **kwargs)

    def _check_rows_tenant(self, tenants: list[object]) -> None:
        current = peek_current_tenant()
        for value in tenants:
            tenant_id = getattr(value, "pk", value)
            if tenant_id is None:
                raise TenantNotSet(f"A new {self.model.__name__} needs its tenant.")
            if current is not None and current is not ALL_TENANTS and current.pk != tenant_id:
                raise TenantMismatch(f"Working for tenant {current.pk}, writing a row of tenant {tenant_id}.")

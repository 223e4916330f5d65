"""Read queries of tenancy. This module is where a user's tenants are found across tenants."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from yuqing.tenancy.models import Department, Membership, Tenant, User

M = TypeVar("M", bound=models.Model)


def memberships_of_user(user: User) -> list[Membership]:
    """The user's active memberships in active tenants: the one lookup that spans tenants."""
    return list(
        Membership.objects.dangerously_all_tenants()
        .filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant", "department")
        .order_by("tenant__name")
    )


def membership_choose(memberships: list[Membership], tenant_id: object) -> Membership | None:
    """The membership for the tenant kept in the session, else the first one."""
    for membership in memberships:
        if str(membership.tenant_id) == str(tenant_id):
            return membership
    return memberships[0] if memberships else None


def get_for_tenant(source: type[M] | models.QuerySet[M], *, tenant: Tenant, **lookup: object) -> M:
    """One object of `tenant`, or Http404: "another tenant's" and "missing" look the same."""
    queryset = source.objects.for_tenant(tenant) if isinstance(source, type) else source.filter(tenant=tenant)
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, models.ObjectDoesNotExist):
        raise Http404 from None


def department_list(*, tenant: Tenant) -> models.QuerySet[Department]:
    return Department.objects.for_tenant(tenant).filter(is_active=True).order_by("name")


def membership_list(*, tenant: Tenant) -> models.QuerySet[Membership]:
    return (
        Membership.objects.for_tenant(tenant)
        .select_related("user", "department")
        .order_by("department__name", "user__username")
    )


def membership_of(*, tenant: Tenant, user: User) -> Membership | None:
    return Membership.objects.for_tenant(tenant).filter(user=user, is_active=True).first()

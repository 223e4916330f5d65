"""The choice lists of the portal's forms and filters: only the tenant's own, active rows."""

from __future__ import annotations

from django.db import models

from customers.models import Customer
from incidents.models import IncidentNature
from yuqing.tenancy.models import Department, Membership, Tenant


def nature_choices(*, tenant: Tenant) -> models.QuerySet[IncidentNature]:
    return IncidentNature.objects.for_tenant(tenant).filter(is_active=True).order_by("name")


def department_choices(*, tenant: Tenant) -> models.QuerySet[Department]:
    return Department.objects.for_tenant(tenant).filter(is_active=True).order_by("name")


def member_choices(*, tenant: Tenant) -> models.QuerySet[Membership]:
    """Active members, by name, with what a choice label shows (name, department)."""
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user", "department")
        .order_by("user__display_name", "user__username")
    )


def customer_choices(*, tenant: Tenant) -> models.QuerySet[Customer]:
    return Customer.objects.for_tenant(tenant).only("pk", "name", "tier", "tenant_id").order_by("name", "pk")

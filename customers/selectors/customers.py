"""Read queries of customers, each taking the tenant; a fixed number of queries whatever the data size.

`customer_service_profile` and `customer_match_names` are the interface of this app to the
incidents and monitoring modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from customers.filters import CustomerFilter
from customers.models import (
    Contact,
    Customer,
    CustomerAlias,
    Guarantee,
    Product,
    ServiceStrategy,
    Tag,
    Tier,
    TierChange,
)
from customers.services.tiering import ancestor_ids, service_strategy_defaults
from customers.validators import looks_like_credit_code, normalise_code
from yuqing.tenancy.models import Membership, Tenant
from yuqing.tenancy.selectors import get_for_tenant

CHILDREN_SHOWN = 200


def customer_filterset(*, tenant: Tenant, filters: Mapping | None = None) -> CustomerFilter:
    """The list's filters bound to `filters`: `.qs` the customers, `.form` the form (built once)."""
    queryset = (
        Customer.objects.for_tenant(tenant)
        .select_related("relationship_manager__user")
        .prefetch_related(Prefetch("products", queryset=Product.objects.for_tenant(tenant)))
        .order_by("name", "pk")
    )
    return CustomerFilter(filters if filters is not None else {}, queryset=queryset, tenant=tenant)


def customer_list(*, tenant: Tenant, filters: Mapping | None = None) -> QuerySet[Customer]:
    """The tenant's customers, filtered by CustomerFilter, with what a list row shows, by name."""
    return customer_filterset(tenant=tenant, filters=filters).qs


@dataclass
class CustomerDetail:
    customer: Customer
    ancestors: list[Customer]  # root first
    children: list[Customer]
    children_count: int
    profile: ServiceProfile
    last_change: TierChange | None


def customer_get(*, tenant: Tenant, pk: object) -> Customer:
    """One customer with everything its page shows, or Http404 (also for another tenant's customer)."""
    queryset = Customer.objects.for_tenant(tenant).select_related("relationship_manager__user", "parent")
    queryset = queryset.prefetch_related(
        Prefetch("aliases", queryset=CustomerAlias.objects.for_tenant(tenant).order_by("pk")),
        Prefetch("products", queryset=Product.objects.for_tenant(tenant)),
        Prefetch("tags", queryset=Tag.objects.for_tenant(tenant)),
        Prefetch("contacts", queryset=Contact.objects.for_tenant(tenant)),
        Prefetch(
            "guarantees_given", queryset=Guarantee.objects.for_tenant(tenant).select_related("borrower").order_by("pk")
        ),
        Prefetch(
            "guarantees_received",
            queryset=Guarantee.objects.for_tenant(tenant).select_related("guarantor").order_by("pk"),
        ),
    )
    return get_for_tenant(queryset, tenant=tenant, pk=pk)


def customer_detail(*, tenant: Tenant, pk: object) -> CustomerDetail:
    customer = customer_get(tenant=tenant, pk=pk)
    chain = ancestor_ids(tenant=tenant, customer_id=customer.pk)
    by_pk = Customer.objects.for_tenant(tenant).in_bulk(chain) if chain else {}
    children_qs = Customer.objects.for_tenant(tenant).filter(parent=customer)
    children = list(children_qs.order_by("name", "pk")[: CHILDREN_SHOWN + 1])
    return CustomerDetail(
        customer=customer,
        ancestors=[by_pk[pk] for pk in reversed(chain) if pk in by_pk],
        children=children[:CHILDREN_SHOWN],
        children_count=len(children) if len(children) <= CHILDREN_SHOWN else children_qs.count(),
        profile=customer_service_profile(tenant=tenant, customer=customer),
        last_change=TierChange.objects.for_tenant(tenant).filter(customer=customer).select_related("rule").first(),
    )


def customer_find(*, tenant: Tenant, reference: str) -> Customer | None:
    """A customer named by its credit code, name or short name, as typed in a form or a CSV file."""
    reference = (reference or "").strip()
    if not reference:
        return None
    customers = Customer.objects.for_tenant(tenant)
    code = normalise_code(reference)
    if looks_like_credit_code(code):
        found = customers.filter(credit_code=code).first()
        if found is not None:
            return found
    matches = list(customers.filter(Q(name=reference) | Q(short_name=reference)).order_by("pk")[:2])
    exact = [c for c in matches if c.name == reference] or matches
    if len(matches) > 1 and len(exact) != 1:
        raise ValidationError(_("有多个客户名为「%(ref)s」，请改用统一社会信用代码。") % {"ref": reference})
    return exact[0] if exact else None


# ---------------------------------------------------------------- for incidents and monitoring


@dataclass(frozen=True)
class ServiceProfile:
    """What tier and service strategy apply to a customer now."""

    tier: str
    requires_relationship_manager: bool
    relationship_manager: Membership | None
    sla_factor: Decimal
    risk_weight: Decimal
    source: str  # a Customer.TierSource value: rule, manual or default

    @property
    def is_vip(self) -> bool:
        return self.tier == Tier.VIP

    @property
    def lacks_relationship_manager(self) -> bool:
        return self.requires_relationship_manager and self.relationship_manager is None


def _strategies(tenant: Tenant) -> dict[str, ServiceStrategy]:
    stored = {strategy.tier: strategy for strategy in ServiceStrategy.objects.for_tenant(tenant)}
    return {tier: stored.get(tier) or service_strategy_defaults(tier) for tier in Tier.values}


def _profile(customer: Customer, strategy: ServiceStrategy, manager: Membership | None) -> ServiceProfile:
    return ServiceProfile(
        tier=customer.tier,
        requires_relationship_manager=strategy.requires_relationship_manager,
        relationship_manager=manager,
        sla_factor=strategy.sla_factor,
        risk_weight=strategy.risk_weight,
        source=customer.tier_source,
    )


def customer_service_profile(*, tenant: Tenant, customer: Customer) -> ServiceProfile:
    """The tier in force and its strategy (SLA factor, risk weight, named relationship manager)."""
    if customer.tenant_id != tenant.pk:
        raise Customer.DoesNotExist
    manager = None
    if customer.relationship_manager_id is not None:
        if Customer.relationship_manager.is_cached(customer):
            manager = customer.relationship_manager
        else:
            manager = (
                Membership.objects.for_tenant(tenant).select_related("user").get(pk=customer.relationship_manager_id)
            )
    return _profile(customer, _strategies(tenant)[customer.tier], manager)


def customer_service_profiles(*, tenant: Tenant, customer_ids: Iterable[int]) -> dict[int, ServiceProfile]:
    """The same for many customers in three queries (for scoring a batch of mentions)."""
    strategies = _strategies(tenant)
    customers = (
        Customer.objects.for_tenant(tenant)
        .filter(pk__in=list(customer_ids))
        .select_related("relationship_manager__user")
    )
    return {c.pk: _profile(c, strategies[c.tier], c.relationship_manager) for c in customers}


@dataclass(frozen=True)
class RiskTier:
    tier: str
    risk_weight: Decimal


def customer_risk_tiers(*, tenant: Tenant, customer_ids: Iterable[int]) -> dict[int, RiskTier]:
    """Tier and risk weight of many customers in two light queries (scoring needs no more than this;
    customer_service_profiles also loads relationship managers, several times slower per batch)."""
    strategies = _strategies(tenant)
    rows = Customer.objects.for_tenant(tenant).filter(pk__in=list(customer_ids)).values_list("pk", "tier")
    return {pk: RiskTier(tier, strategies[tier].risk_weight) for pk, tier in rows}


@dataclass(frozen=True)
class MatchName:
    customer_id: int
    text: str
    source: str  # "name", "short_name" or "alias"
    tier: str


def customer_match_names(*, tenant: Tenant) -> list[MatchName]:
    """Every name, short name and alias of the tenant's customers: what posts are matched against."""
    names: list[MatchName] = []
    tiers: dict[int, str] = {}
    for pk, name, short_name, tier in (
        Customer.objects.for_tenant(tenant).values_list("pk", "name", "short_name", "tier").iterator(chunk_size=5000)
    ):
        tiers[pk] = tier
        names.append(MatchName(pk, name, "name", tier))
        if short_name:
            names.append(MatchName(pk, short_name, "short_name", tier))
    for customer_id, alias in (
        CustomerAlias.objects.for_tenant(tenant).values_list("customer_id", "alias").iterator(chunk_size=5000)
    ):
        names.append(MatchName(customer_id, alias, "alias", tiers.get(customer_id, Tier.STANDARD)))
    return names


def membership_choices(*, tenant: Tenant) -> QuerySet[Membership]:
    """Who can be a relationship manager: the tenant's active members."""
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )


def product_choices(*, tenant: Tenant) -> QuerySet[Product]:
    return Product.objects.for_tenant(tenant).filter(is_active=True).order_by("name")

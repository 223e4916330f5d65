"""The demo data: about 200 valid customers per tenant, in groups and tiers, and a rerun adds nothing."""

import random

from customers.demo import make_id_number, seed_customers
from customers.models import Customer, Tier, TierChange
from customers.validators import validate_credit_code, validate_id_number


def test_the_demo_seeds_about_200_valid_customers_in_groups_and_tiers_and_a_rerun_adds_nothing(
    tenant_a, admin_a, handler_a
):
    result = seed_customers(tenant=tenant_a, members=[admin_a, handler_a])
    customers = Customer.objects.for_tenant(tenant_a)
    assert 180 <= result.created <= 220
    assert customers.count() == result.created
    for customer in customers.exclude(credit_code=""):
        validate_credit_code(customer.credit_code)
    individuals = customers.filter(kind=Customer.Kind.INDIVIDUAL)
    assert individuals.count() >= 30
    assert all(c.id_number_masked and "*" in c.id_number_masked for c in individuals)
    assert customers.filter(tier=Tier.VIP).count() >= 40
    assert customers.filter(tier=Tier.STANDARD).count() >= 80
    assert customers.filter(parent__parent__isnull=False).exists(), "集团 → 子公司 → 项目公司 chains"
    assert customers.filter(tier_source=Customer.TierSource.MANUAL).exists()
    assert TierChange.objects.for_tenant(tenant_a).filter(reason="人工调整到期").exists()
    assert not customers.filter(tier=Tier.VIP, relationship_manager__isnull=True).exists()
    changes = TierChange.objects.for_tenant(tenant_a).count()

    again = seed_customers(tenant=tenant_a, members=[admin_a, handler_a])
    assert again.created == 0
    assert customers.count() == result.created
    assert TierChange.objects.for_tenant(tenant_a).count() == changes


def test_generated_id_numbers_are_valid():
    rng = random.Random(1)
    for _ in range(50):
        validate_id_number(make_id_number(rng))

"""Tier rules, manual overrides with expiry, the tier history, and the service profile."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer, ServiceStrategy, Tier, TierChange, TierRule
from customers.selectors.customers import customer_service_profile, customer_service_profiles
from customers.services import tiering
from customers.services.customers import customer_create, customer_update
from customers.services.validation import CustomerData
from tests.customers.factories import CustomerFactory, ProductFactory
from yuqing.audit.models import AuditEvent

YI = Decimal("100000000")


def _rule(tenant, kind, name=None, **fields):
    return tiering.tier_rule_create(tenant=tenant, actor=None, name=name or kind, kind=kind, **fields)


def _recompute(tenant, customer):
    change = tiering.customer_tier_recompute(tenant=tenant, customer=customer)
    customer.refresh_from_db()
    return change


def test_exposure_is_the_larger_of_limit_and_balance_and_the_rule_includes_the_threshold(tenant_a):
    _rule(tenant_a, TierRule.Kind.EXPOSURE_AT_LEAST, threshold=5 * YI)
    at_threshold = CustomerFactory(tenant=tenant_a, credit_limit=Decimal("1"), loan_balance=5 * YI)
    below = CustomerFactory(tenant=tenant_a, credit_limit=5 * YI - 1, loan_balance=Decimal("0"))
    _recompute(tenant_a, at_threshold)
    _recompute(tenant_a, below)
    assert at_threshold.tier == Tier.VIP and at_threshold.tier_source == Customer.TierSource.RULE
    assert below.tier == Tier.STANDARD and below.tier_source == Customer.TierSource.DEFAULT


def test_the_strategic_flag_and_product_rules_make_a_customer_vip(tenant_a):
    product = ProductFactory(tenant=tenant_a, name="银团贷款")
    _rule(tenant_a, TierRule.Kind.STRATEGIC, name="战略")
    _rule(tenant_a, TierRule.Kind.HAS_PRODUCT, name="银团客户", product=product)
    strategic = CustomerFactory(tenant=tenant_a, is_strategic=True)
    syndicated = CustomerFactory(tenant=tenant_a)
    syndicated.products.through.objects.create(tenant_id=syndicated.tenant_id, customer=syndicated, product=product)
    plain = CustomerFactory(tenant=tenant_a)
    for customer in (strategic, syndicated, plain):
        _recompute(tenant_a, customer)
    assert (strategic.tier, syndicated.tier, plain.tier) == (Tier.VIP, Tier.VIP, Tier.STANDARD)
    assert TierChange.objects.for_tenant(tenant_a).get(customer=syndicated).rule.name == "银团客户"


def test_an_inactive_rule_does_not_count(tenant_a):
    _rule(tenant_a, TierRule.Kind.STRATEGIC, is_active=False)
    customer = CustomerFactory(tenant=tenant_a, is_strategic=True)
    assert _recompute(tenant_a, customer) is None
    assert customer.tier == Tier.STANDARD


def test_members_of_a_vip_group_are_vip_at_every_level_but_not_above_it(tenant_a):
    _rule(tenant_a, TierRule.Kind.STRATEGIC, name="战略")
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER, name="VIP 集团成员")
    holding = CustomerFactory(tenant=tenant_a, name="控股")
    group = CustomerFactory(tenant=tenant_a, name="集团", parent=holding, is_strategic=True)
    sub = CustomerFactory(tenant=tenant_a, name="子公司", parent=group)
    spv = CustomerFactory(tenant=tenant_a, name="项目公司", parent=sub)
    for customer in (holding, group, sub, spv):
        _recompute(tenant_a, customer)
    assert [c.tier for c in (holding, group, sub, spv)] == [Tier.STANDARD, Tier.VIP, Tier.VIP, Tier.VIP]
    assert TierChange.objects.for_tenant(tenant_a).get(customer=spv).rule.name == "VIP 集团成员"


def test_a_manual_vip_parent_makes_its_group_vip_and_a_manual_standard_parent_does_not(tenant_a, admin_a):
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER)
    _rule(tenant_a, TierRule.Kind.STRATEGIC)
    parent = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a)
    child = CustomerFactory(tenant=tenant_a, parent=parent)
    tiering.customer_tier_override(
        tenant=tenant_a, actor=admin_a.user, customer=parent, tier=Tier.VIP, reason="总行指定"
    )
    assert _recompute(tenant_a, child).to_tier == Tier.VIP
    parent.is_strategic = True
    parent.save()
    tiering.customer_tier_override(
        tenant=tenant_a, actor=admin_a.user, customer=parent, tier=Tier.STANDARD, reason="降级观察"
    )
    assert _recompute(tenant_a, child).to_tier == Tier.STANDARD


def test_a_corrupt_cycle_in_the_group_does_not_loop(tenant_a):
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER)
    first = CustomerFactory(tenant=tenant_a)
    second = CustomerFactory(tenant=tenant_a, parent=first)
    Customer.objects.for_tenant(tenant_a).filter(pk=first.pk).update(parent=second)  # what the services refuse
    assert _recompute(tenant_a, first) is None
    result = tiering.tier_recompute_tenant(tenant=tenant_a)
    assert result.checked == 2 and result.changed == 0


def test_recomputing_twice_writes_one_change_and_one_audit_event(tenant_a):
    _rule(tenant_a, TierRule.Kind.STRATEGIC)
    customer = CustomerFactory(tenant=tenant_a, is_strategic=True)
    first = _recompute(tenant_a, customer)
    assert (first.from_tier, first.to_tier, first.source) == (Tier.STANDARD, Tier.VIP, Customer.TierSource.RULE)
    assert first.reason == "符合规则「strategic」"
    assert _recompute(tenant_a, customer) is None
    assert tiering.tier_recompute_tenant(tenant=tenant_a).changed == 0
    assert TierChange.objects.for_tenant(tenant_a).count() == 1
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.tier_change").count() == 1


def test_an_override_needs_a_reason_and_a_future_expiry(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a)
    with pytest.raises(ValidationError) as error:
        tiering.customer_tier_override(
            tenant=tenant_a, actor=admin_a.user, customer=customer, tier=Tier.VIP, reason=" "
        )
    assert error.value.message_dict["reason"] == ["请填写人工调整的原因。"]
    with pytest.raises(ValidationError) as error:
        tiering.customer_tier_override(
            tenant=tenant_a,
            actor=admin_a.user,
            customer=customer,
            tier=Tier.VIP,
            reason="x",
            expires_at=timezone.now() - dt.timedelta(hours=1),
        )
    assert error.value.message_dict["expires_at"] == ["到期时间必须晚于当前时间。"]
    assert not TierChange.objects.for_tenant(tenant_a).exists()


def test_an_override_to_vip_without_a_manager_is_refused_when_the_strategy_requires_one(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a)
    with pytest.raises(ValidationError) as error:
        tiering.customer_tier_override(
            tenant=tenant_a, actor=admin_a.user, customer=customer, tier=Tier.VIP, reason="x"
        )
    assert "客户经理" in error.value.message_dict["tier"][0]
    ServiceStrategy.objects.create(tenant=tenant_a, tier=Tier.VIP, requires_relationship_manager=False)
    tiering.customer_tier_override(tenant=tenant_a, actor=admin_a.user, customer=customer, tier=Tier.VIP, reason="x")


def test_an_override_is_recorded_with_its_person_and_reason_and_expires_back_to_the_rules(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        change = tiering.customer_tier_override(
            tenant=tenant_a,
            actor=admin_a.user,
            customer=customer,
            tier=Tier.VIP,
            reason="总行重点营销客户",
            expires_at=timezone.now() + dt.timedelta(days=30),
        )
    assert (change.to_tier, change.source, change.actor, change.reason) == (
        Tier.VIP,
        Customer.TierSource.MANUAL,
        admin_a.user,
        "总行重点营销客户",
    )
    with time_machine.travel(dt.datetime(2026, 3, 20, tzinfo=dt.UTC)):
        assert tiering.tier_recompute_tenant(tenant=tenant_a).changed == 0
    with time_machine.travel(dt.datetime(2026, 4, 2, tzinfo=dt.UTC)):
        assert tiering.tier_recompute_tenant(tenant=tenant_a).changed == 1
        assert tiering.tier_recompute_tenant(tenant=tenant_a).changed == 0
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_source, customer.manual_tier) == (Tier.STANDARD, "default", "")
    expiry = TierChange.objects.for_tenant(tenant_a).first()
    assert (expiry.from_tier, expiry.to_tier, expiry.source, expiry.reason) == (
        Tier.VIP,
        Tier.STANDARD,
        Customer.TierSource.DEFAULT,
        "人工调整到期",
    )
    assert TierChange.objects.for_tenant(tenant_a).count() == 2


def test_an_expired_override_whose_tier_the_rules_also_give_changes_only_the_source(tenant_a, admin_a):
    _rule(tenant_a, TierRule.Kind.STRATEGIC)
    customer = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a, is_strategic=True)
    tiering.customer_tier_override(
        tenant=tenant_a,
        actor=admin_a.user,
        customer=customer,
        tier=Tier.VIP,
        reason="x",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        tiering.tier_recompute_tenant(tenant=tenant_a)
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_source, customer.manual_tier) == (Tier.VIP, "rule", "")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.tier_override_expire").count() == 1


def test_clearing_an_override_lets_the_rules_decide_again(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a)
    tiering.customer_tier_override(tenant=tenant_a, actor=admin_a.user, customer=customer, tier=Tier.VIP, reason="x")
    change = tiering.customer_tier_override_clear(tenant=tenant_a, actor=admin_a.user, customer=customer)
    assert (change.to_tier, change.reason, change.actor) == (Tier.STANDARD, "撤销人工调整", admin_a.user)
    assert tiering.customer_tier_override_clear(tenant=tenant_a, actor=admin_a.user, customer=customer) is None


def test_the_bulk_recompute_decides_as_the_single_one_does(tenant_a):
    product = ProductFactory(tenant=tenant_a)
    _rule(tenant_a, TierRule.Kind.EXPOSURE_AT_LEAST, name="a", threshold=10 * YI)
    _rule(tenant_a, TierRule.Kind.HAS_PRODUCT, name="b", product=product)
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER, name="c")
    big = CustomerFactory(tenant=tenant_a, loan_balance=20 * YI)
    child = CustomerFactory(tenant=tenant_a, parent=big)
    grandchild = CustomerFactory(tenant=tenant_a, parent=child)
    with_product = CustomerFactory(tenant=tenant_a)
    with_product.products.through.objects.create(
        tenant_id=with_product.tenant_id, customer=with_product, product=product
    )
    plain = CustomerFactory(tenant=tenant_a)
    result = tiering.tier_recompute_tenant(tenant=tenant_a, chunk_size=2)
    assert (result.checked, result.changed) == (5, 4)
    tiers = dict(Customer.objects.for_tenant(tenant_a).values_list("pk", "tier"))
    assert [tiers[c.pk] for c in (big, child, grandchild, with_product, plain)] == ["vip"] * 4 + ["standard"]
    for customer in (big, child, grandchild, with_product, plain):
        assert tiering.customer_tier_recompute(tenant=tenant_a, customer=customer) is None


def test_the_bulk_recompute_uses_few_queries_whatever_the_number_of_customers(tenant_a, django_assert_max_num_queries):
    _rule(tenant_a, TierRule.Kind.STRATEGIC)
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER, name="g")
    CustomerFactory.create_batch(60, tenant=tenant_a)
    with django_assert_max_num_queries(4):
        assert tiering.tier_recompute_tenant(tenant=tenant_a).changed == 0


def test_a_rule_change_enqueues_a_recompute_of_the_tenant_and_the_job_runs_it(tenant_a, admin_a, rq_queues):
    from django_rq import get_queue

    customer = CustomerFactory(tenant=tenant_a, is_strategic=True)
    rule = _rule(tenant_a, TierRule.Kind.STRATEGIC)
    jobs = get_queue("default").jobs
    assert [job.func_name for job in jobs] == ["customers.jobs.tier_recompute_tenant"]
    assert jobs[0].args == (tenant_a.pk,)
    assert jobs[0].perform() == {"checked": 1, "changed": 1}
    customer.refresh_from_db()
    assert customer.tier == Tier.VIP
    rule.is_active = False
    tiering.tier_rule_save(tenant=tenant_a, actor=admin_a.user, rule=rule)
    from customers.jobs import tier_recompute_tenant

    assert tier_recompute_tenant(tenant_a.pk) == {"checked": 1, "changed": 1}


def test_saving_a_customer_enqueues_its_group_recompute(tenant_a, admin_a, rq_queues):
    from django_rq import get_queue

    from customers.jobs import tier_recompute_customer

    _rule(tenant_a, TierRule.Kind.STRATEGIC, enqueue_recompute=False)
    _rule(tenant_a, TierRule.Kind.VIP_GROUP_MEMBER, name="g", enqueue_recompute=False)
    group = customer_create(
        tenant=tenant_a,
        actor=admin_a.user,
        data=CustomerData(
            kind="enterprise", name="集团", credit_code="91350100M000100Y43", relationship_manager=admin_a
        ),
    )
    child = CustomerFactory(tenant=tenant_a, parent=group)
    get_queue("default").empty()
    data = CustomerData.from_customer(group)
    data.is_strategic = True
    customer_update(tenant=tenant_a, actor=admin_a.user, customer=group, data=data)
    assert group.tier == Tier.VIP  # its own tier is recomputed in the transaction
    [job] = get_queue("default").jobs
    assert (job.func_name, job.args, job.kwargs) == (
        "customers.jobs.tier_recompute_customer",
        (tenant_a.pk,),
        {"customer_id": group.pk},
    )
    assert tier_recompute_customer(tenant_a.pk, customer_id=group.pk) == 1
    child.refresh_from_db()
    assert child.tier == Tier.VIP


def test_the_nightly_job_enqueues_one_recompute_per_active_tenant(tenant_a, tenant_b, rq_queues):
    from django_rq import get_queue

    from customers.jobs import tier_recompute_all_tenants

    tenant_b.is_active = False
    tenant_b.save()
    assert tier_recompute_all_tenants() == 1
    assert [job.args for job in get_queue("default").jobs] == [(tenant_a.pk,)]


def test_rules_are_validated_by_kind(tenant_a, tenant_b, admin_a):
    with pytest.raises(ValidationError) as error:
        _rule(tenant_a, TierRule.Kind.EXPOSURE_AT_LEAST)
    assert "金额阈值" in error.value.message_dict["threshold"][0]
    with pytest.raises(ValidationError) as error:
        _rule(tenant_a, TierRule.Kind.HAS_PRODUCT, product=ProductFactory(tenant=tenant_b))
    assert error.value.message_dict["product"] == ["产品不属于本机构。"]
    with pytest.raises(Exception, match="无权"):
        tiering.tier_rule_create(tenant=tenant_a, actor=_handler(tenant_a).user, name="x", kind=TierRule.Kind.STRATEGIC)


def _handler(tenant):
    from tests.factories import MembershipFactory

    return MembershipFactory(tenant=tenant, role="handler")


def test_the_service_profile_gives_the_tier_strategy_and_manager(tenant_a, admin_a):
    vip = CustomerFactory(tenant=tenant_a, tier=Tier.VIP, tier_source="rule", relationship_manager=admin_a)
    standard = CustomerFactory(tenant=tenant_a)
    profile = customer_service_profile(tenant=tenant_a, customer=vip)
    assert (profile.tier, profile.requires_relationship_manager, profile.relationship_manager, profile.source) == (
        Tier.VIP,
        True,
        admin_a,
        "rule",
    )
    assert (profile.sla_factor, profile.risk_weight) == (Decimal("0.50"), Decimal("1.50"))
    assert profile.is_vip and not profile.lacks_relationship_manager
    plain = customer_service_profile(tenant=tenant_a, customer=standard)
    assert (plain.sla_factor, plain.risk_weight, plain.requires_relationship_manager) == (
        Decimal("1.00"),
        Decimal("1.00"),
        False,
    )
    ServiceStrategy.objects.for_tenant(tenant_a).delete()
    tiering.service_strategies_ensure(tenant=tenant_a)
    ServiceStrategy.objects.for_tenant(tenant_a).filter(tier=Tier.VIP).update(sla_factor=Decimal("0.25"))
    assert customer_service_profile(tenant=tenant_a, customer=vip).sla_factor == Decimal("0.25")
    assert customer_service_profiles(tenant=tenant_a, customer_ids=[vip.pk, standard.pk])[vip.pk].sla_factor == (
        Decimal("0.25")
    )


def test_the_service_profile_refuses_another_tenants_customer(tenant_a, tenant_b):
    with pytest.raises(Customer.DoesNotExist):
        customer_service_profile(tenant=tenant_a, customer=CustomerFactory(tenant=tenant_b))


def test_match_names_list_names_short_names_and_aliases_of_the_tenant_only(tenant_a, tenant_b):
    from customers.selectors.customers import customer_match_names
    from tests.customers.factories import CustomerAliasFactory

    customer = CustomerFactory(tenant=tenant_a, name="华润置地有限公司", short_name="华润置地")
    CustomerAliasFactory(customer=customer, alias="华润地产")
    CustomerFactory(tenant=tenant_b, name="乙方客户")
    names = customer_match_names(tenant=tenant_a)
    assert {(n.text, n.source) for n in names} == {
        ("华润置地有限公司", "name"),
        ("华润置地", "short_name"),
        ("华润地产", "alias"),
    }
    assert {n.customer_id for n in names} == {customer.pk}

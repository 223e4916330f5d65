"""The tenant's complaint policies: made once from the shipped legal templates, CBIRC 2020 the default."""

from __future__ import annotations

import pytest

from customers.models import ComplaintPolicy
from customers.services.policies import (
    complaint_policies_ensure,
    complaint_policy_default,
    complaint_policy_make_default,
    stage_days,
    stage_needs_approval,
)
from tests.customers.factories import ComplaintPolicyFactory
from yuqing.audit.models import AuditEvent


def _policies(tenant) -> dict[str, ComplaintPolicy]:
    return {p.template_code: p for p in ComplaintPolicy.objects.for_tenant(tenant)}


def test_it_ships_the_three_confirmed_templates_with_their_numbers_and_legal_basis(tenant_a):
    complaint_policies_ensure(tenant=tenant_a)
    policies = _policies(tenant_a)
    assert set(policies) == {"cbirc_2020_3", "cbrc_2012", "consumer_law_46"}

    cbirc = policies["cbirc_2020_3"]
    assert (cbirc.clock_kind, cbirc.days, cbirc.first_extension_days, cbirc.max_days) == ("calendar_days", 15, 30, 60)
    assert "2020 年第 3 号" in cbirc.legal_basis
    assert cbirc.is_default

    cbrc = policies["cbrc_2012"]
    assert (cbrc.clock_kind, cbrc.days, cbrc.first_extension_days, cbrc.max_days) == ("working_days", 15, None, 60)
    assert "2012" in cbrc.legal_basis

    consumer = policies["consumer_law_46"]
    assert (consumer.clock_kind, consumer.days, consumer.max_days) == ("working_days", 7, 7)
    assert "第四十六条" in consumer.legal_basis
    assert not cbrc.is_default and not consumer.is_default
    assert complaint_policy_default(tenant=tenant_a) == cbirc


def test_ensuring_twice_creates_nothing_more(tenant_a):
    assert len(complaint_policies_ensure(tenant=tenant_a)) == 3
    events = AuditEvent.objects.for_tenant(tenant_a).filter(action="complaint_policy.create").count()
    assert complaint_policies_ensure(tenant=tenant_a) == []
    assert ComplaintPolicy.objects.for_tenant(tenant_a).count() == 3
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="complaint_policy.create").count() == events == 3


def test_a_tenant_that_already_has_a_default_keeps_it(tenant_a):
    own = ComplaintPolicyFactory(tenant=tenant_a, name="本行 10 日内部标准", days=10, is_default=True)
    complaint_policies_ensure(tenant=tenant_a)
    assert complaint_policy_default(tenant=tenant_a) == own
    assert not _policies(tenant_a)["cbirc_2020_3"].is_default


def test_a_name_taken_by_the_tenant_does_not_stop_the_template(tenant_a):
    ComplaintPolicyFactory(tenant=tenant_a, name="银行业保险业消费投诉处理管理办法（15 日）")
    complaint_policies_ensure(tenant=tenant_a)
    assert _policies(tenant_a)["cbirc_2020_3"].name.endswith("（模板）")


def test_policies_are_per_tenant(tenant_a, tenant_b):
    complaint_policies_ensure(tenant=tenant_a)
    assert ComplaintPolicy.objects.for_tenant(tenant_b).count() == 0
    complaint_policies_ensure(tenant=tenant_b)
    assert ComplaintPolicy.objects.for_tenant(tenant_b).count() == 3


def test_making_another_policy_the_default_unsets_the_previous_one(tenant_a, admin_a):
    complaint_policies_ensure(tenant=tenant_a)
    cbrc = _policies(tenant_a)["cbrc_2012"]
    complaint_policy_make_default(tenant=tenant_a, actor=admin_a.user, policy=cbrc)
    assert complaint_policy_default(tenant=tenant_a) == cbrc
    assert ComplaintPolicy.objects.for_tenant(tenant_a).filter(is_default=True).count() == 1
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="complaint_policy.make_default").exists()


@pytest.mark.parametrize(
    ("days", "first", "longest", "stages", "approval_stage"),
    [(15, 30, 60, [15, 30, 60], 2), (15, None, 60, [15, 60], None), (7, None, 7, [7], None)],
)
def test_stages_follow_the_policy(tenant_a, days, first, longest, stages, approval_stage):
    policy = ComplaintPolicyFactory(tenant=tenant_a, days=days, first_extension_days=first, max_days=longest)
    assert stage_days(policy) == stages
    assert [s for s in range(len(stages)) if stage_needs_approval(policy, s)] == (
        [approval_stage] if approval_stage else []
    )

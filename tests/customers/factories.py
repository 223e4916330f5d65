"""Factories of the customers app. Children are always created in their parent's tenant."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from customers.models import ComplaintPolicy, Feedback
from tests.factories import TenantFactory

# --- feedback and complaint policies ---------------------------------------------------------


class ComplaintPolicyFactory(factory.django.DjangoModelFactory):
    """A CBIRC-2020-like policy (15 → 30 → 60 calendar days). For the shipped ones use
    customers.services.policies.complaint_policies_ensure."""

    class Meta:
        model = ComplaintPolicy

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"投诉处理策略{n}")
    template_code = ""
    clock_kind = ComplaintPolicy.ClockKind.CALENDAR_DAYS
    days = 15
    first_extension_days = 30
    max_days = 60
    legal_basis = "《银行业保险业消费投诉处理管理办法》（中国银保监会令 2020 年第 3 号）"
    is_default = False
    due_soon_days = 3


class FeedbackFactory(factory.django.DjangoModelFactory):
    """A complaint from an unknown person, received now, due in 15 days. The due time is not
    computed on the calendar here: tests of due times go through services.feedback_register."""

    class Meta:
        model = Feedback
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    customer = None
    reporter_name = "张先生"
    kind = Feedback.Kind.COMPLAINT
    channel = Feedback.Channel.PHONE
    category = Feedback.Category.OTHER
    subject = factory.Sequence(lambda n: f"客户投诉{n}")
    content = "放款进度慢，请尽快答复。"
    received_at = factory.LazyFunction(timezone.now)
    policy = factory.SubFactory(ComplaintPolicyFactory, tenant=factory.SelfAttribute("..tenant"))
    due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=15))

    @factory.post_generation
    def reporter_mobile(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.set_reporter_mobile(extracted)
            if create:
                self.save(update_fields=["reporter_mobile_encrypted", "reporter_mobile_masked"])


# --- customers, products, tiers ----------------------------------------------------------------

import random as _random  # noqa: E402 - kept with the customer factories it serves

from customers.demo import make_credit_code, make_id_number, make_mobile  # noqa: E402
from customers.models import (  # noqa: E402
    Contact,
    Customer,
    CustomerAlias,
    Guarantee,
    Product,
    Tag,
    TierChange,
    TierRule,
)

_codes = _random.Random("customer-factories")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"产品{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"标签{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    """An enterprise with a valid credit code. Rows only: tiers are not computed (use the services)."""

    class Meta:
        model = Customer

    tenant = factory.SubFactory(TenantFactory)
    kind = Customer.Kind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(lambda: make_credit_code(_codes))
    region = "北京"
    industry = "制造业"


class IndividualCustomerFactory(CustomerFactory):
    """A person with a valid ID number and mobile (pass id_number= / mobile= to choose them)."""

    class Meta:
        skip_postgeneration_save = True

    kind = Customer.Kind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"个人客户{n}")
    credit_code = ""
    industry = ""

    @factory.post_generation
    def id_number(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_id_number(extracted or make_id_number(_codes))
        if create:
            self.save(update_fields=["id_number_encrypted", "id_number_digest", "id_number_masked"])

    @factory.post_generation
    def mobile(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_mobile(extracted or make_mobile(_codes))
        if create:
            self.save(update_fields=["mobile_encrypted", "mobile_digest", "mobile_masked"])


class CustomerAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAlias

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    alias = factory.Sequence(lambda n: f"别名{n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    name = factory.Sequence(lambda n: f"联系人{n}")
    title = "财务总监"

    @factory.post_generation
    def mobile(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_mobile(extracted or make_mobile(_codes))
        if create:
            self.save(update_fields=["mobile_encrypted", "mobile_masked"])


class GuaranteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guarantee

    borrower = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("borrower.tenant")
    guarantor = factory.SubFactory(CustomerFactory, tenant=factory.SelfAttribute("..tenant"))


class TierRuleFactory(factory.django.DjangoModelFactory):
    """A rule row. Tests of recomputation create rules through services.tiering.tier_rule_create."""

    class Meta:
        model = TierRule

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"规则{n}")
    kind = TierRule.Kind.STRATEGIC


class TierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierChange

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    from_tier = "standard"
    to_tier = "vip"
    source = Customer.TierSource.MANUAL
    reason = "测试"

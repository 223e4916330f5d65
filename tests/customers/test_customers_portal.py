"""The customer pages: list and filters, detail, forms, reveal, override, export, and isolation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, Tier
from customers.services import tiering
from tests.customers.factories import (
    ContactFactory,
    CustomerAliasFactory,
    CustomerFactory,
    FeedbackFactory,
    GuaranteeFactory,
    IndividualCustomerFactory,
    ProductFactory,
    TagFactory,
    TierChangeFactory,
)
from tests.factories import MembershipFactory
from yuqing.audit.models import AuditEvent

ID_NUMBER = "11010519491231002X"
MOBILE = "13912345678"
LIST = reverse("customers:customer-list")


def _names(response) -> set[str]:
    return {customer.name for customer in response.context["customers"]}


# ---------------------------------------------------------------- list and filters


def test_the_list_shows_personal_data_masked_only(client_a, tenant_a):
    IndividualCustomerFactory(tenant=tenant_a, name="张伟", id_number=ID_NUMBER, mobile=MOBILE)
    body = client_a.get(LIST).content.decode()
    assert "张伟" in body
    assert "110105********002X" in body and "139****5678" in body
    assert ID_NUMBER not in body and MOBILE not in body


def test_the_list_shows_tier_badges_and_only_the_tenants_customers(client_a, tenant_a, tenant_b):
    CustomerFactory(tenant=tenant_a, name="甲方VIP客户", tier=Tier.VIP)
    CustomerFactory(tenant=tenant_b, name="乙方客户")
    response = client_a.get(LIST)
    body = response.content.decode()
    assert 'data-tier="vip"' in body
    assert _names(response) == {"甲方VIP客户"}


def test_each_filter_narrows_the_list(client_a, tenant_a, admin_a, handler_a):
    product, tag = ProductFactory(tenant=tenant_a, name="银团贷款"), TagFactory(tenant=tenant_a, name="城投平台")
    a = CustomerFactory(
        tenant=tenant_a,
        name="甲建设集团",
        short_name="甲建",
        region="成都",
        tier=Tier.VIP,
        relationship_manager=admin_a,
        credit_limit=Decimal("600000000"),
    )
    a.products.through.objects.create(tenant_id=a.tenant_id, customer=a, product=product)
    a.tags.through.objects.create(tenant_id=a.tenant_id, customer=a, tag=tag)
    b = CustomerFactory(
        tenant=tenant_a,
        name="乙贸易公司",
        region="上海",
        relationship_manager=handler_a,
        loan_balance=Decimal("3000000"),
    )
    CustomerAliasFactory(customer=b, alias="乙记商行")
    c = IndividualCustomerFactory(tenant=tenant_a, name="王芳", id_number=ID_NUMBER, mobile=MOBILE, region="成都")
    cases = {
        "tier=vip": {a.name},
        "kind=individual": {c.name},
        f"relationship_manager={handler_a.pk}": {b.name},
        "region=成都": {a.name, c.name},
        f"product={product.pk}": {a.name},
        f"tag={tag.pk}": {a.name},
        "exposure_min=50000": {a.name},
        "exposure_max=300": {b.name, c.name},
        "exposure_min=100&exposure_max=300": {b.name},
        "q=甲建": {a.name},
        "q=乙记": {b.name},
        f"q={a.credit_code}": {a.name},
        f"q={a.credit_code[:14].lower()}": {a.name},
        f"q={ID_NUMBER.lower()}": {c.name},
        f"q={MOBILE}": {c.name},
        "q=0105194": set(),  # personal data is matched whole, never by a fragment
    }
    for query, expected in cases.items():
        assert _names(client_a.get(f"{LIST}?{query}")) == expected, query


def test_filter_choices_come_from_the_tenant_only(client_a, tenant_a, tenant_b, admin_b):
    ProductFactory(tenant=tenant_a, name="甲方产品")
    foreign = ProductFactory(tenant=tenant_b, name="乙方专属产品")
    response = client_a.get(LIST)
    body = response.content.decode()
    assert "甲方产品" in body and "乙方专属产品" not in body and "admin_b" not in body
    response = client_a.get(f"{LIST}?product={foreign.pk}&relationship_manager={admin_b.pk}")
    assert set(response.context["filter"].form.errors) == {"product", "relationship_manager"}


def test_an_htmx_filter_request_gets_only_the_rows_fragment(client_a, tenant_a):
    CustomerFactory(tenant=tenant_a, name="华润置地有限公司")
    response = client_a.get(f"{LIST}?q=华润", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-rows")
    body = response.content.decode()
    assert "华润置地有限公司" in body
    assert "<html" not in body and 'id="customer-filter"' not in body


def test_the_list_is_paginated_by_50(client_a, tenant_a):
    CustomerFactory.create_batch(51, tenant=tenant_a)
    assert len(client_a.get(LIST).context["customers"]) == 50
    assert len(client_a.get(f"{LIST}?page=2").context["customers"]) == 1


def _populate(tenant, members, count: int) -> Customer:
    product = ProductFactory(tenant=tenant)
    last = None
    for index in range(count):
        customer = CustomerFactory(tenant=tenant, relationship_manager=members[index % len(members)], parent=last)
        customer.products.through.objects.create(tenant_id=customer.tenant_id, customer=customer, product=product)
        CustomerAliasFactory(customer=customer)
        ContactFactory(customer=customer)
        last = customer
    return last


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_query_count_does_not_grow_with_the_customers(
    client_a, tenant_a, admin_a, handler_a, count, django_assert_max_num_queries
):
    _populate(tenant_a, [admin_a, handler_a], count)
    with django_assert_max_num_queries(12):
        response = client_a.get(f"{LIST}?q=测试&region=北京")
    assert len(response.context["customers"]) == count


@pytest.mark.parametrize("count", [5, 50])
def test_the_detail_query_count_does_not_grow_with_the_related_data(
    client_a, tenant_a, admin_a, count, django_assert_max_num_queries
):
    parent = _populate(tenant_a, [admin_a], 6)  # a chain six deep
    customer = CustomerFactory(tenant=tenant_a, parent=parent, relationship_manager=admin_a)
    for _ in range(count):
        CustomerFactory(tenant=tenant_a, parent=customer)
        ContactFactory(customer=customer)
        GuaranteeFactory(borrower=customer)
        TierChangeFactory(customer=customer)
        FeedbackFactory(tenant=tenant_a, customer=customer)
    with django_assert_max_num_queries(20):
        response = client_a.get(reverse("customers:customer-detail", args=[customer.pk]))
    assert response.status_code == 200
    assert len(response.context["detail"].ancestors) == 6


# ---------------------------------------------------------------- detail


def test_the_detail_shows_group_exposure_strategy_and_one_timeline_newest_first(client_a, tenant_a, admin_a):
    group = CustomerFactory(tenant=tenant_a, name="华润置地有限公司")
    customer = IndividualCustomerFactory(
        tenant=tenant_a,
        name="李娜",
        parent=group,
        id_number=ID_NUMBER,
        mobile=MOBILE,
        credit_limit=Decimal("520000000"),
        tier=Tier.VIP,
        tier_source="rule",
        relationship_manager=admin_a,
    )
    CustomerFactory(tenant=tenant_a, name="李娜名下项目公司", parent=customer)
    guarantor = CustomerFactory(tenant=tenant_a, name="中建八局")
    GuaranteeFactory(borrower=customer, guarantor=guarantor, amount=Decimal("10000000"))
    ContactFactory(customer=customer, name="赵秘书", mobile="13700001111")
    change = TierChangeFactory(customer=customer, reason="符合规则「五亿以上」")
    FeedbackFactory(
        tenant=tenant_a, customer=customer, subject="放款进度投诉", received_at=timezone.now() - dt.timedelta(days=3)
    )
    body = client_a.get(reverse("customers:customer-detail", args=[customer.pk])).content.decode()
    for text in (
        "华润置地有限公司",
        "李娜名下项目公司",
        "中建八局",
        "赵秘书",
        "5.20 亿元",
        "0.50",
        "1.50",
        "110105********002X",
        "139****5678",
        "137****1111",
    ):
        assert text in body, text
    assert ID_NUMBER not in body and MOBILE not in body and "13700001111" not in body
    assert body.index(change.reason) < body.index("放款进度投诉"), "newest first"


def test_a_vip_without_a_manager_is_flagged_on_its_page(client_a, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, tier=Tier.VIP)
    body = client_a.get(reverse("customers:customer-detail", args=[customer.pk])).content.decode()
    assert 'data-alert="no-manager"' in body


# ---------------------------------------------------------------- forms


def _form(**fields):
    return {
        "kind": "enterprise",
        "name": "",
        "credit_limit": "0",
        "loan_balance": "0",
        "group_role": "standalone",
        **fields,
    }


def test_a_new_customer_is_created_from_the_form_and_shown(client_a, tenant_a):
    product = ProductFactory(tenant=tenant_a, name="项目融资")
    group = CustomerFactory(tenant=tenant_a, name="华润置地有限公司")
    response = client_a.post(
        reverse("customers:customer-create"),
        _form(
            name="华润置地（成都）发展有限公司",
            credit_code="91350100m000100y43",
            aliases="成都华润；华润成都",
            products=[product.pk],
            tags="国企，重点关注",
            parent="华润置地有限公司",
            group_role="project_company",
            credit_limit="120000000",
        ),
    )
    customer = Customer.objects.for_tenant(tenant_a).get(credit_code="91350100M000100Y43")
    assert response.status_code == 302 and response["Location"] == reverse(
        "customers:customer-detail", args=[customer.pk]
    )
    assert customer.parent == group
    assert customer.credit_limit == Decimal("120000000")


def test_form_errors_are_in_chinese_next_to_their_fields(client_a, tenant_a):
    response = client_a.post(
        reverse("customers:customer-create"),
        _form(
            kind="individual",
            name="",
            id_number="110105194912310021",
            mobile="12345",
            parent="不存在的公司",
            credit_limit="abc",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == ["这个字段是必填项。"]
    assert errors["credit_limit"] == ["输入一个数字。"]
    assert "找不到客户「不存在的公司」" in errors["parent"][0]
    response = client_a.post(
        reverse("customers:customer-create"),
        _form(kind="individual", name="张三", id_number="110105194912310021", mobile="12345"),
    )
    errors = response.context["form"].errors
    assert errors["id_number"] == ["居民身份证号校验位不正确，请核对。"]
    assert errors["mobile"] == ["手机号码应为 11 位，以 13–19 开头。"]
    assert "居民身份证号校验位不正确" in response.content.decode()
    assert not Customer.objects.for_tenant(tenant_a).exists()


def test_the_edit_form_never_shows_clear_personal_data_and_blank_keeps_it(client_a, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a, name="张三", id_number=ID_NUMBER, mobile=MOBILE)
    url = reverse("customers:customer-edit", args=[customer.pk])
    body = client_a.get(url).content.decode()
    assert ID_NUMBER not in body and MOBILE not in body and "110105********002X" in body
    response = client_a.post(url, _form(kind="individual", name="张三丰", region="武汉"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "张三丰" and customer.id_number_masked == "110105********002X"


def test_a_viewer_cannot_open_the_forms(client_for, viewer_a, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    client = client_for(viewer_a)
    assert client.get(reverse("customers:customer-create")).status_code == 403
    assert client.get(reverse("customers:customer-edit", args=[customer.pk])).status_code == 403
    assert client.get(reverse("customers:customer-detail", args=[customer.pk])).status_code == 200


# ---------------------------------------------------------------- reveal and override


def test_revealing_in_the_portal_returns_the_clear_value_uncached_and_audits(client_a, client_for, handler_a, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a, id_number=ID_NUMBER, mobile=MOBILE)
    url = reverse("customers:customer-reveal", args=[customer.pk])
    assert client_a.get(url).status_code == 405
    response = client_a.post(url, {"field": "id_number"}, HTTP_HX_REQUEST="true")
    assert ID_NUMBER in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.reveal").count() == 1
    assert client_for(handler_a).post(url, {"field": "id_number"}).status_code == 403
    assert client_a.post(url, {"field": "notes"}).status_code == 400
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.reveal").count() == 1


def test_the_reveal_button_is_shown_only_to_roles_that_may_reveal(client_a, client_for, handler_a, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a)
    url = reverse("customers:customer-detail", args=[customer.pk])
    reveal = reverse("customers:customer-reveal", args=[customer.pk])
    assert reveal in client_a.get(url).content.decode()
    assert reveal not in client_for(handler_a).get(url).content.decode()


def test_the_override_form_asks_for_a_reason_then_sets_and_clears_the_tier(client_a, tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a, relationship_manager=admin_a)
    url = reverse("customers:customer-tier-override", args=[customer.pk])
    response = client_a.post(url, {"tier": "vip", "reason": ""})
    assert response.context["form"].errors["reason"] == ["请填写人工调整的原因。"]
    response = client_a.post(url, {"tier": "vip", "reason": "x", "expires_at": "2001-01-01T00:00"})
    assert response.context["form"].errors["expires_at"] == ["到期时间必须晚于当前时间。"]
    future = (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    assert client_a.post(url, {"tier": "vip", "reason": "总行指定", "expires_at": future}).status_code == 302
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_source, customer.manual_tier_reason) == ("vip", "manual", "总行指定")
    assert client_a.post(url, {"action": "clear"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.tier, customer.manual_tier) == ("standard", "")


def test_contacts_and_guarantees_are_added_from_the_portal(client_a, tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    guarantor = CustomerFactory(tenant=tenant_a, name="担保集团有限公司")
    response = client_a.post(
        reverse("customers:customer-contact-add", args=[customer.pk]),
        {"name": "王总", "mobile": "13812345678", "is_primary": "on"},
    )
    assert response.status_code == 302
    contact = customer.contacts.model.objects.for_tenant(tenant_a).get()
    assert contact.mobile_masked == "138****5678"
    response = client_a.post(
        reverse("customers:customer-guarantee-add", args=[customer.pk]),
        {"guarantor": "担保集团有限公司", "amount": "5000000"},
    )
    assert response.status_code == 302
    guarantee = customer.guarantees_received.model.objects.for_tenant(tenant_a).get()
    assert guarantee.guarantor == guarantor
    response = client_a.post(reverse("customers:customer-guarantee-remove", args=[customer.pk, guarantee.pk]))
    assert response.status_code == 302
    assert not customer.guarantees_received.model.objects.for_tenant(tenant_a).exists()


# ---------------------------------------------------------------- export


def test_the_export_masks_personal_data_follows_the_filters_and_is_audited(client_a, tenant_a):
    IndividualCustomerFactory(tenant=tenant_a, name="张伟", id_number=ID_NUMBER, mobile=MOBILE)
    CustomerFactory(tenant=tenant_a, name="某企业")
    response = client_a.get(reverse("customers:customer-export") + "?kind=individual")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "张伟" in body and "某企业" not in body
    assert "110105********002X" in body and "139****5678" in body
    assert ID_NUMBER not in body and MOBILE not in body
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.export")
    assert event.changes == {"filters": {"kind": "individual"}, "count": 1}


# ---------------------------------------------------------------- isolation


def _object_urls(customer, contact, guarantee):
    pk = customer.pk
    return [
        reverse("customers:customer-detail", args=[pk]),
        reverse("customers:customer-edit", args=[pk]),
        reverse("customers:customer-reveal", args=[pk]),
        reverse("customers:customer-tier-override", args=[pk]),
        reverse("customers:customer-contact-add", args=[pk]),
        reverse("customers:customer-contact-edit", args=[pk, contact.pk]),
        reverse("customers:customer-contact-reveal", args=[pk, contact.pk]),
        reverse("customers:customer-guarantee-add", args=[pk]),
        reverse("customers:customer-guarantee-remove", args=[pk, guarantee.pk]),
    ]


def test_another_tenants_customer_is_a_404_on_every_customer_url(client_b, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a, name="甲方秘密客户")
    contact = ContactFactory(customer=customer)
    guarantee = GuaranteeFactory(borrower=customer)
    for url in _object_urls(customer, contact, guarantee):
        for method in ("get", "post"):
            response = getattr(client_b, method)(
                url,
                {"field": "id_number", "tier": "vip", "reason": "x", "name": "x", "guarantor": "x", "action": "remove"},
            )
            assert response.status_code == 404, f"{method} {url}"
            assert "甲方秘密客户" not in response.content.decode()
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="customer.").exists()


def test_a_contact_or_guarantee_of_another_customer_is_a_404(client_a, tenant_a):
    customer, other = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    contact, guarantee = ContactFactory(customer=other), GuaranteeFactory(borrower=other)
    assert client_a.get(reverse("customers:customer-contact-edit", args=[customer.pk, contact.pk])).status_code == 404
    response = client_a.post(reverse("customers:customer-guarantee-remove", args=[customer.pk, guarantee.pk]))
    assert response.status_code == 404


def test_a_member_of_two_tenants_sees_the_customers_of_the_tenant_in_use(client_for, tenant_a, tenant_b, admin_a):
    MembershipFactory(tenant=tenant_b, user=admin_a.user, role="admin")
    customer_b = CustomerFactory(tenant=tenant_b, name="乙方客户")
    client = client_for(admin_a)
    session = client.session
    session["tenant_id"] = tenant_a.pk
    session.save()
    assert client.get(reverse("customers:customer-detail", args=[customer_b.pk])).status_code == 404


def test_tier_rules_recompute_through_the_service_used_by_the_portal(tenant_a, admin_a):
    tiering.tier_rule_create(tenant=tenant_a, actor=admin_a.user, name="战略", kind="strategic")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="tier_rule.create").count() == 1

"""The Django admin of customers: masked personal data, and saves that go through the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer, Tier, TierChange, TierRule
from tests.customers.factories import CustomerFactory, IndividualCustomerFactory, TierChangeFactory
from yuqing.audit.models import AuditEvent

ID_NUMBER = "11010519491231002X"
MOBILE = "13912345678"


@pytest.fixture
def staff_a(client_for, admin_a):
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


def test_the_changelist_and_change_page_show_personal_data_masked_only(staff_a, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a, name="张伟", id_number=ID_NUMBER, mobile=MOBILE)
    for url in (
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[customer.pk]),
    ):
        body = staff_a.get(url).content.decode()
        assert "110105********002X" in body and "139****5678" in body, url
        assert ID_NUMBER not in body and MOBILE not in body, url
        assert customer.id_number_encrypted not in body and customer.id_number_digest not in body, url


def test_the_admin_form_has_no_encrypted_or_tier_fields_to_edit(staff_a, tenant_a):
    form = staff_a.get(reverse("admin:customers_customer_add")).context["adminform"].form
    assert not {
        "id_number_encrypted",
        "id_number_digest",
        "mobile_encrypted",
        "mobile_digest",
        "tier",
        "tier_source",
        "manual_tier",
        "tenant",
    } & set(form.fields)


def _post(**fields):
    return {
        "kind": "enterprise",
        "name": "",
        "credit_limit": "0",
        "loan_balance": "0",
        "group_role": "standalone",
        **fields,
    }


def test_adding_a_customer_in_the_admin_goes_through_the_service(staff_a, tenant_a, tenant_b, admin_a):
    from customers.services.tiering import tier_rule_create

    tier_rule_create(tenant=tenant_a, actor=None, name="战略", kind="strategic")
    response = staff_a.post(
        reverse("admin:customers_customer_add"),
        _post(
            name="华润置地有限公司",
            credit_code="91350100M000100Y43",
            is_strategic="on",
            aliases_text="华润置地",
            tag_names="国企",
            relationship_manager=admin_a.pk,
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.for_tenant(tenant_a).get()
    assert customer.tier == Tier.VIP
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.create", object_id=str(customer.pk)).exists()
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="admin.add").exists()
    assert not Customer.objects.for_tenant(tenant_b).exists()


def test_admin_errors_come_from_the_same_rules_as_the_portal(staff_a, tenant_a):
    response = staff_a.post(
        reverse("admin:customers_customer_add"),
        _post(kind="individual", name="张三", new_id_number="110105194912310021"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["new_id_number"] == ["居民身份证号校验位不正确，请核对。"]


def test_changing_a_customer_in_the_admin_keeps_its_personal_data_and_audits_the_change(staff_a, tenant_a):
    customer = IndividualCustomerFactory(tenant=tenant_a, name="张三", id_number=ID_NUMBER)
    response = staff_a.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        _post(kind="individual", name="张三丰", credit_limit="100", loan_balance="0"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "张三丰" and customer.id_number_masked == "110105********002X"
    assert customer.credit_limit == Decimal("100")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.update").exists()


def test_a_tier_rule_saved_in_the_admin_is_validated_audited_and_recomputes(staff_a, tenant_a, rq_queues):
    from django_rq import get_queue

    response = staff_a.post(
        reverse("admin:customers_tierrule_add"), {"name": "五亿以上", "kind": "exposure_at_least", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "金额阈值" in str(response.context["adminform"].form.errors)
    response = staff_a.post(
        reverse("admin:customers_tierrule_add"),
        {"name": "五亿以上", "kind": "exposure_at_least", "threshold": "500000000", "is_active": "on"},
    )
    assert response.status_code == 302
    assert TierRule.objects.for_tenant(tenant_a).get().threshold == Decimal("500000000")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="tier_rule.create").exists()
    assert [job.func_name for job in get_queue("default").jobs] == ["customers.jobs.tier_recompute_tenant"]


def test_the_tier_history_is_read_only_in_the_admin(staff_a, tenant_a):
    change = TierChangeFactory(customer=CustomerFactory(tenant=tenant_a))
    assert staff_a.get(reverse("admin:customers_tierchange_changelist")).status_code == 200
    url = reverse("admin:customers_tierchange_change", args=[change.pk])
    assert staff_a.get(url).status_code == 200
    staff_a.post(url, {"reason": "改写历史"})
    change.refresh_from_db()
    assert change.reason == "测试"
    assert staff_a.get(reverse("admin:customers_tierchange_add")).status_code == 403
    assert TierChange.objects.for_tenant(tenant_a).count() == 1


def test_another_tenants_customer_is_a_404_in_the_admin(staff_a, tenant_b):
    customer = CustomerFactory(tenant=tenant_b)
    assert staff_a.get(reverse("admin:customers_customer_change", args=[customer.pk])).status_code == 404


def test_another_tenants_tier_history_is_a_404_not_a_403_in_the_admin(staff_a, tenant_b):
    change = TierChangeFactory(customer=CustomerFactory(tenant=tenant_b))
    for name in ("admin:customers_tierchange_change", "admin:customers_tierchange_delete"):
        url = reverse(name, args=[change.pk])
        assert staff_a.get(url).status_code == 404, url
        assert staff_a.post(url).status_code == 404, url


def test_a_duplicate_product_name_is_a_form_error_and_strategies_exist_on_demand(staff_a, tenant_a, tenant_b):
    from customers.models import Product, ServiceStrategy
    from tests.customers.factories import ProductFactory

    ProductFactory(tenant=tenant_a, name="项目融资")
    ProductFactory(tenant=tenant_b, name="银团贷款")
    response = staff_a.post(reverse("admin:customers_product_add"), {"name": "项目融资", "is_active": "on"})
    assert response.context["adminform"].form.errors["name"] == ["本机构已有同名记录。"]
    assert (
        staff_a.post(reverse("admin:customers_product_add"), {"name": "银团贷款", "is_active": "on"}).status_code == 302
    )
    assert Product.objects.for_tenant(tenant_a).count() == 2
    assert staff_a.get(reverse("admin:customers_servicestrategy_changelist")).status_code == 200
    assert set(ServiceStrategy.objects.for_tenant(tenant_a).values_list("tier", flat=True)) == {"vip", "standard"}
    assert staff_a.get(reverse("admin:customers_servicestrategy_add")).status_code == 403

"""Customer services: validation, group links, audit with masked personal data, and revealing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Contact, Customer, CustomerAlias, Guarantee, Tag, Tier
from customers.services import tiering
from customers.services.customers import (
    contact_add,
    contact_reveal_mobile,
    contact_update,
    customer_create,
    customer_reveal_personal_data,
    customer_update,
    guarantee_add,
    guarantee_remove,
)
from customers.services.validation import CustomerData
from tests.customers.factories import CustomerFactory, IndividualCustomerFactory, ProductFactory
from tests.factories import MembershipFactory
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.context import TenantMismatch

CODE = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"
MOBILE = "13912345678"


def _enterprise(**fields) -> CustomerData:
    return CustomerData(**{"kind": "enterprise", "name": "华润置地有限公司", "credit_code": CODE, **fields})


def test_creating_a_customer_stores_aliases_products_tags_and_writes_one_audit_event(tenant_a, admin_a):
    product = ProductFactory(tenant=tenant_a, name="项目融资")
    customer = customer_create(
        tenant=tenant_a,
        actor=admin_a.user,
        data=_enterprise(aliases=["华润置地", "华润地产"], products=[product], tag_names=["国企", "上市公司"]),
    )
    assert set(CustomerAlias.objects.for_tenant(tenant_a).values_list("alias", flat=True)) == {"华润置地", "华润地产"}
    assert list(customer.products.through.objects.for_tenant(customer.tenant).values_list("product_id", flat=True)) == [
        product.pk
    ]
    assert set(Tag.objects.for_tenant(tenant_a).values_list("name", flat=True)) == {"国企", "上市公司"}
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.create")
    assert event.object_id == str(customer.pk)
    assert event.changes["credit_code"]["after"] == CODE
    assert event.changes["aliases"]["after"] == ["华润地产", "华润置地"]


def test_an_update_syncs_aliases_and_audits_only_what_changed(tenant_a, admin_a):
    customer = customer_create(tenant=tenant_a, actor=admin_a.user, data=_enterprise(aliases=["旧名"]))
    data = CustomerData.from_customer(customer)
    data.aliases, data.region = ["新名"], "深圳"
    customer_update(tenant=tenant_a, actor=admin_a.user, customer=customer, data=data)
    assert list(CustomerAlias.objects.for_tenant(tenant_a).values_list("alias", flat=True)) == ["新名"]
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.update")
    assert set(event.changes) == {"aliases", "region"}


def test_personal_data_is_stored_encrypted_and_the_audit_trail_has_only_the_masked_values(tenant_a, admin_a):
    customer = customer_create(
        tenant=tenant_a,
        actor=admin_a.user,
        data=CustomerData(kind="individual", name="张伟", id_number=ID_NUMBER, mobile=MOBILE),
    )
    assert customer.id_number_masked == "110105********002X"
    assert customer.mobile_masked == "139****5678"
    assert ID_NUMBER not in customer.id_number_encrypted
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.create")
    dumped = str(event.changes)
    assert ID_NUMBER not in dumped and MOBILE not in dumped
    assert "110105********002X" in dumped


def test_an_edit_with_blank_personal_data_keeps_the_stored_values(tenant_a, admin_a):
    customer = customer_create(
        tenant=tenant_a,
        actor=admin_a.user,
        data=CustomerData(kind="individual", name="张伟", id_number=ID_NUMBER, mobile=MOBILE),
    )
    data = CustomerData.from_customer(customer)  # id_number / mobile None: keep
    data.name = "张伟（个体户）"
    customer_update(tenant=tenant_a, actor=admin_a.user, customer=customer, data=data)
    customer.refresh_from_db()
    assert customer.name == "张伟（个体户）"
    assert customer_reveal_personal_data(tenant=tenant_a, actor=admin_a.user, customer=customer, field="id_number") == (
        ID_NUMBER
    )


def test_a_credit_code_or_id_number_already_registered_is_refused_with_the_owner_named(tenant_a, admin_a):
    customer_create(tenant=tenant_a, actor=admin_a.user, data=_enterprise())
    with pytest.raises(ValidationError) as error:
        customer_create(tenant=tenant_a, actor=admin_a.user, data=_enterprise(name="另一家"))
    assert error.value.message_dict["credit_code"] == ["该统一社会信用代码已登记为客户「华润置地有限公司」。"]
    IndividualCustomerFactory(tenant=tenant_a, name="李娜", id_number=ID_NUMBER)
    with pytest.raises(ValidationError) as error:
        customer_create(
            tenant=tenant_a, actor=admin_a.user, data=CustomerData(kind="individual", name="X", id_number=ID_NUMBER)
        )
    assert "李娜" in error.value.message_dict["id_number"][0]


def test_the_same_credit_code_may_exist_in_another_tenant(tenant_a, tenant_b, admin_a, admin_b):
    customer_create(tenant=tenant_a, actor=admin_a.user, data=_enterprise())
    customer_create(tenant=tenant_b, actor=admin_b.user, data=_enterprise())


def test_a_parent_must_not_make_a_cycle(tenant_a, admin_a):
    group = CustomerFactory(tenant=tenant_a, name="集团")
    sub = CustomerFactory(tenant=tenant_a, name="子公司", parent=group)
    spv = CustomerFactory(tenant=tenant_a, name="项目公司", parent=sub)
    data = CustomerData.from_customer(group)
    data.parent = spv
    with pytest.raises(ValidationError) as error:
        customer_update(tenant=tenant_a, actor=admin_a.user, customer=group, data=data)
    assert error.value.message_dict["parent"] == ["上级客户不能是该客户本身或其下属客户，否则会形成循环。"]
    data.parent = group
    with pytest.raises(ValidationError):
        customer_update(tenant=tenant_a, actor=admin_a.user, customer=group, data=data)


def test_a_parent_manager_or_product_of_another_tenant_is_refused(tenant_a, tenant_b, admin_a, admin_b):
    data = _enterprise(
        parent=CustomerFactory(tenant=tenant_b),
        relationship_manager=admin_b,
        products=[ProductFactory(tenant=tenant_b)],
    )
    with pytest.raises(ValidationError) as error:
        customer_create(tenant=tenant_a, actor=admin_a.user, data=data)
    assert set(error.value.message_dict) == {"parent", "relationship_manager", "products"}
    assert not Customer.objects.for_tenant(tenant_a).exists()


def test_a_vip_whose_strategy_requires_a_manager_cannot_be_left_without_one(tenant_a, admin_a, handler_a):
    tiering.tier_rule_create(
        tenant=tenant_a, actor=None, name="五亿以上", kind="exposure_at_least", threshold=Decimal("500000000")
    )
    big = _enterprise(credit_limit=Decimal("800000000"))
    with pytest.raises(ValidationError) as error:
        customer_create(tenant=tenant_a, actor=admin_a.user, data=big)
    assert error.value.message_dict["relationship_manager"] == [
        "该客户为 VIP 客户（符合规则「五亿以上」），服务策略要求指定客户经理，请选择客户经理。"
    ]
    big.relationship_manager = handler_a
    customer = customer_create(tenant=tenant_a, actor=admin_a.user, data=big)
    assert customer.tier == Tier.VIP
    data = CustomerData.from_customer(customer)
    data.relationship_manager = None
    with pytest.raises(ValidationError):
        customer_update(tenant=tenant_a, actor=admin_a.user, customer=customer, data=data)


def test_a_viewer_cannot_create_or_change_customers(tenant_a, viewer_a):
    with pytest.raises(PermissionDenied):
        customer_create(tenant=tenant_a, actor=viewer_a.user, data=_enterprise())


def test_revealing_needs_the_permission_and_each_reveal_is_audited_by_field_not_value(
    tenant_a, admin_a, handler_a, auditor_a
):
    customer = IndividualCustomerFactory(tenant=tenant_a, id_number=ID_NUMBER, mobile=MOBILE)
    for member in (handler_a, auditor_a):
        with pytest.raises(PermissionDenied):
            customer_reveal_personal_data(tenant=tenant_a, actor=member.user, customer=customer, field="mobile")
    assert not AuditEvent.objects.for_tenant(tenant_a).filter(action="customer.reveal").exists()
    value = customer_reveal_personal_data(tenant=tenant_a, actor=admin_a.user, customer=customer, field="mobile")
    assert value == MOBILE
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="customer.reveal")
    assert event.changes == {"field": "mobile", "masked": "139****5678"}
    assert event.actor == admin_a.user
    with pytest.raises(ValidationError):
        customer_reveal_personal_data(tenant=tenant_a, actor=admin_a.user, customer=customer, field="credit_limit")


def test_a_manager_may_reveal_but_a_superuser_without_membership_may_not(tenant_a, django_user_model):
    manager = MembershipFactory(tenant=tenant_a, role="manager")
    customer = IndividualCustomerFactory(tenant=tenant_a, id_number=ID_NUMBER)
    assert customer_reveal_personal_data(tenant=tenant_a, actor=manager.user, customer=customer, field="id_number")
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    with pytest.raises(PermissionDenied):
        customer_reveal_personal_data(tenant=tenant_a, actor=root, customer=customer, field="id_number")


def test_revealing_another_tenants_customer_is_refused(tenant_a, tenant_b, admin_a):
    customer = IndividualCustomerFactory(tenant=tenant_b)
    with pytest.raises(TenantMismatch):
        customer_reveal_personal_data(tenant=tenant_a, actor=admin_a.user, customer=customer, field="id_number")


def test_contacts_keep_one_primary_and_mask_their_mobile(tenant_a, admin_a):
    customer = CustomerFactory(tenant=tenant_a)
    first = contact_add(tenant=tenant_a, actor=admin_a.user, customer=customer, name="王总", is_primary=True)
    second = contact_add(
        tenant=tenant_a, actor=admin_a.user, customer=customer, name="李经理", mobile=MOBILE, is_primary=True
    )
    first.refresh_from_db()
    assert not first.is_primary and second.is_primary
    assert second.mobile_masked == "139****5678"
    assert MOBILE not in str(AuditEvent.objects.for_tenant(tenant_a).filter(action="contact.add").last().changes)
    contact_update(tenant=tenant_a, actor=admin_a.user, contact=second, name="李经理", mobile=None, is_primary=True)
    assert contact_reveal_mobile(tenant=tenant_a, actor=admin_a.user, contact=second) == MOBILE
    with pytest.raises(ValidationError) as error:
        contact_add(tenant=tenant_a, actor=admin_a.user, customer=customer, name="", mobile="1")
    assert set(error.value.message_dict) == {"name", "mobile"}
    assert Contact.objects.for_tenant(tenant_a).count() == 2


def test_guarantees_link_two_customers_once_and_never_a_customer_to_itself(tenant_a, admin_a):
    borrower, guarantor = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a)
    guarantee = guarantee_add(
        tenant=tenant_a, actor=admin_a.user, guarantor=guarantor, borrower=borrower, amount=Decimal("1000000")
    )
    with pytest.raises(ValidationError):
        guarantee_add(tenant=tenant_a, actor=admin_a.user, guarantor=guarantor, borrower=borrower)
    with pytest.raises(ValidationError):
        guarantee_add(tenant=tenant_a, actor=admin_a.user, guarantor=borrower, borrower=borrower)
    guarantee_remove(tenant=tenant_a, actor=admin_a.user, guarantee=guarantee)
    assert not Guarantee.objects.for_tenant(tenant_a).exists()
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action__startswith="guarantee.").count() == 2

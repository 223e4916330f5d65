"""Writes of customer records: customers, contacts, guarantees, products, and revealing personal data.

Every write checks the actor's role, runs in one transaction with its audit event, and never
puts a clear ID or mobile number into the audit trail (only the masked forms).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Contact, Customer, CustomerAlias, Guarantee, Product, Tag
from customers.selectors.customers import customer_list
from customers.services import tiering
from customers.services.validation import CustomerData, CustomerValidator, contact_clean
from yuqing import privacy
from yuqing.audit.services import audit_record, changes_between
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import TenantMismatch
from yuqing.tenancy.guard import actor_membership, tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission, require_permission

REVEALABLE_FIELDS = {"id_number": gettext_lazy("身份证号"), "mobile": gettext_lazy("手机号")}
PLAIN_FIELDS = (
    "kind",
    "name",
    "short_name",
    "credit_code",
    "industry",
    "region",
    "listed_codes",
    "relationship_manager",
    "credit_limit",
    "loan_balance",
    "parent",
    "group_role",
    "is_strategic",
    "notes",
)


def _same_tenant(tenant: Tenant, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant.pk:
            raise TenantMismatch(f"{obj._meta.label} {obj.pk} is not of tenant {tenant.pk}.")


def _snapshot(tenant: Tenant, customer: Customer) -> dict[str, Any]:
    """What the audit trail records of a customer: masked personal data only."""
    snapshot = {
        name: getattr(customer, f"{name}_id" if name in ("relationship_manager", "parent") else name)
        for name in PLAIN_FIELDS
    }
    snapshot["id_number"] = customer.id_number_masked
    snapshot["mobile"] = customer.mobile_masked
    if customer.pk:
        snapshot["aliases"] = sorted(
            CustomerAlias.objects.for_tenant(tenant).filter(customer=customer).values_list("alias", flat=True)
        )
        snapshot["products"] = sorted(
            Product.objects.for_tenant(tenant).filter(customers=customer).values_list("name", flat=True)
        )
        snapshot["tags"] = sorted(
            Tag.objects.for_tenant(tenant).filter(customers=customer).values_list("name", flat=True)
        )
    return snapshot


def _assign(customer: Customer, data: CustomerData) -> None:
    for name in PLAIN_FIELDS:
        setattr(customer, name, getattr(data, name))
    if data.kind == Customer.Kind.ENTERPRISE:
        if customer.id_number_digest:
            customer.set_id_number("")  # an individual re-registered as an enterprise keeps no ID number
    elif (
        data.id_number is not None and privacy.digest(data.id_number, purpose="id_number") != customer.id_number_digest
    ):
        customer.set_id_number(data.id_number)
    if data.mobile is not None and privacy.digest(data.mobile, purpose="mobile") != customer.mobile_digest:
        customer.set_mobile(data.mobile)


def _sync_related(tenant: Tenant, customer: Customer, data: CustomerData) -> None:
    aliases = CustomerAlias.objects.for_tenant(tenant).filter(customer=customer)
    aliases.exclude(alias__in=data.aliases).delete()
    existing = set(aliases.values_list("alias", flat=True))
    CustomerAlias.objects.bulk_create(
        [
            CustomerAlias(tenant=tenant, customer=customer, alias=alias)
            for alias in data.aliases
            if alias not in existing
        ]
    )
    _set_links(customer, "products", [product.pk for product in data.products])
    _set_links(customer, "tags", [tag.pk for tag in _tags_get_or_create(tenant=tenant, names=data.tag_names)])


def _set_links(customer: Customer, name: str, ids: list[int]) -> None:
    """`customer.<name>.set(ids)` through the link table, which needs no current tenant (jobs, commands)."""
    through = getattr(Customer, name).through
    column = f"{getattr(Customer, name).field.m2m_reverse_field_name()}_id"
    links = through.objects.for_tenant(customer.tenant).filter(customer_id=customer.pk)
    links.exclude(**{f"{column}__in": ids}).delete()
    existing = set(links.values_list(column, flat=True))
    through.objects.bulk_create(
        [
            through(tenant_id=customer.tenant_id, customer_id=customer.pk, **{column: pk})
            for pk in ids
            if pk not in existing
        ]
    )


def _tags_get_or_create(*, tenant: Tenant, names: list[str]) -> list[Tag]:
    """Tags are created by naming them."""
    if not names:
        return []
    Tag.objects.bulk_create([Tag(tenant=tenant, name=name) for name in names], ignore_conflicts=True)
    return list(Tag.objects.for_tenant(tenant).filter(name__in=names))


def _save_unique(customer: Customer) -> None:
    # The validator checked uniqueness; a concurrent insert of the same code still lands here.
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ValidationError({"credit_code": _("统一社会信用代码或身份证号已被另一个客户使用，请刷新后重试。")})


def _enqueue_recompute(tenant: Tenant, customer: Customer) -> None:
    enqueue("customers.jobs.tier_recompute_customer", tenant_id=tenant.pk, customer_id=customer.pk)


@tenant_service(Permission.WRITE)
def customer_create(
    *,
    tenant: Tenant,
    actor: User | None,
    data: CustomerData,
    ip_address: str | None = None,
    enqueue_recompute: bool = True,
    validator: CustomerValidator | None = None,
    parent_in_vip_group: bool | None = None,
) -> Customer:
    """A new customer; its tier is computed in this transaction (the page after saving shows it).

    A job after commit recomputes it again with its group; bulk callers (the import, demo data)
    pass `enqueue_recompute=False` and recompute once at the end instead.
    """
    data = (validator or CustomerValidator(tenant)).clean(data, parent_in_vip_group=parent_in_vip_group)
    if validator is None:
        tiering.service_strategies_ensure(tenant=tenant)  # the tenant's first customer brings the defaults
    customer = Customer(tenant=tenant)
    _assign(customer, data)
    _save_unique(customer)
    _sync_related(tenant, customer, data)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.create",
        target=customer,
        changes=changes_between({}, _snapshot(tenant, customer)),
        ip_address=ip_address,
    )
    tiering.customer_tier_recompute(tenant=tenant, customer=customer, actor=actor)
    if enqueue_recompute:
        _enqueue_recompute(tenant, customer)
    return customer


@tenant_service(Permission.WRITE)
def customer_update(
    *, tenant: Tenant, actor: User | None, customer: Customer, data: CustomerData, ip_address: str | None = None
) -> Customer:
    """Change a customer. `data.id_number` / `data.mobile` None keep the stored values."""
    _same_tenant(tenant, customer)
    locked = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer.pk)
    data = CustomerValidator(tenant).clean(data, customer=locked)
    before = _snapshot(tenant, locked)
    _assign(locked, data)
    _save_unique(locked)
    _sync_related(tenant, locked, data)
    changes = changes_between(before, _snapshot(tenant, locked))
    if changes:
        audit_record(
            tenant=tenant, actor=actor, action="customer.update", target=locked, changes=changes, ip_address=ip_address
        )
    tiering.customer_tier_recompute(tenant=tenant, customer=locked, actor=actor)
    _enqueue_recompute(tenant, locked)  # its group members may depend on it
    if customer is not locked:
        customer.refresh_from_db()  # the caller's instance shows what was saved
    return locked


@tenant_service(Permission.REVEAL_PERSONAL_DATA)
def customer_reveal_personal_data(
    *, tenant: Tenant, actor: User, customer: Customer, field: str, ip_address: str | None = None
) -> str:
    """The clear ID or mobile number, for a role allowed to see it; the audit event names the field only."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationError(_("不支持查看该字段。"))
    # Stricter than the guard: only a member whose role may reveal, never platform code or a superuser.
    require_permission(actor_membership(tenant=tenant, actor=actor), Permission.REVEAL_PERSONAL_DATA)
    _same_tenant(tenant, customer)
    value = privacy.decrypt(getattr(customer, f"{field}_encrypted"))
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.reveal",
        target=customer,
        changes={"field": field, "masked": getattr(customer, f"{field}_masked")},
        ip_address=ip_address,
    )
    return value


# ---------------------------------------------------------------- contacts


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "title": contact.title,
        "email": contact.email,
        "mobile": contact.mobile_masked,
        "is_primary": contact.is_primary,
    }


def _contact_write(tenant: Tenant, contact: Contact, cleaned: dict, is_primary: bool) -> None:
    contact.name, contact.title, contact.email = cleaned["name"], cleaned["title"], cleaned["email"]
    if cleaned["mobile"] is not None:
        contact.set_mobile(cleaned["mobile"])
    contact.is_primary = is_primary
    contact.save()
    if is_primary:  # one primary contact per customer
        Contact.objects.for_tenant(tenant).filter(customer_id=contact.customer_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


@tenant_service(Permission.WRITE)
def contact_add(
    *,
    tenant: Tenant,
    actor: User | None,
    customer: Customer,
    name: str,
    title: str = "",
    email: str = "",
    mobile: str = "",
    is_primary: bool = False,
    ip_address: str | None = None,
) -> Contact:
    _same_tenant(tenant, customer)
    cleaned = contact_clean(name=name, title=title, email=email, mobile=mobile)
    contact = Contact(tenant=tenant, customer=customer)
    _contact_write(tenant, contact, cleaned, is_primary)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="contact.add",
        target=contact,
        changes=changes_between({}, {**_contact_snapshot(contact), "customer": customer.pk}),
        ip_address=ip_address,
    )
    return contact


@tenant_service(Permission.WRITE)
def contact_update(
    *,
    tenant: Tenant,
    actor: User | None,
    contact: Contact,
    name: str,
    title: str = "",
    email: str = "",
    mobile: str | None = None,
    is_primary: bool = False,
    ip_address: str | None = None,
) -> Contact:
    """`mobile=None` keeps the stored number; "" removes it."""
    _same_tenant(tenant, contact)
    cleaned = contact_clean(name=name, title=title, email=email, mobile=mobile)
    before = _contact_snapshot(contact)
    _contact_write(tenant, contact, cleaned, is_primary)
    changes = changes_between(before, _contact_snapshot(contact))
    if changes:
        audit_record(
            tenant=tenant, actor=actor, action="contact.update", target=contact, changes=changes, ip_address=ip_address
        )
    return contact


@tenant_service(Permission.WRITE)
def contact_remove(*, tenant: Tenant, actor: User | None, contact: Contact, ip_address: str | None = None) -> None:
    _same_tenant(tenant, contact)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="contact.remove",
        target=contact,
        changes=changes_between(_contact_snapshot(contact), {}),
        ip_address=ip_address,
    )
    Contact.objects.for_tenant(tenant).filter(pk=contact.pk).delete()


@tenant_service(Permission.REVEAL_PERSONAL_DATA)
def contact_reveal_mobile(*, tenant: Tenant, actor: User, contact: Contact, ip_address: str | None = None) -> str:
    # Stricter than the guard: only a member whose role may reveal, never platform code or a superuser.
    require_permission(actor_membership(tenant=tenant, actor=actor), Permission.REVEAL_PERSONAL_DATA)
    _same_tenant(tenant, contact)
    value = privacy.decrypt(contact.mobile_encrypted)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="contact.reveal",
        target=contact,
        changes={"field": "mobile", "masked": contact.mobile_masked},
        ip_address=ip_address,
    )
    return value


# ---------------------------------------------------------------- guarantees and products


@tenant_service(Permission.WRITE)
def guarantee_add(
    *,
    tenant: Tenant,
    actor: User | None,
    guarantor: Customer,
    borrower: Customer,
    amount: Decimal | None = None,
    note: str = "",
    ip_address: str | None = None,
) -> Guarantee:
    """`guarantor` stands behind `borrower` (担保)."""
    _same_tenant(tenant, guarantor, borrower)
    errors: dict[str, str] = {}
    if guarantor.pk == borrower.pk:
        errors["guarantor"] = _("担保人不能是借款人本身。")
    elif Guarantee.objects.for_tenant(tenant).filter(guarantor=guarantor, borrower=borrower).exists():
        errors["guarantor"] = _("该担保关系已存在。")
    if amount is not None and amount < 0:
        errors["amount"] = _("担保金额不能为负数。")
    if len(note or "") > 200:
        errors["note"] = _("说明不能超过 200 个字。")
    if errors:
        raise ValidationError(errors)
    guarantee = Guarantee.objects.create(
        tenant=tenant, guarantor=guarantor, borrower=borrower, amount=amount, note=(note or "").strip()
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="guarantee.add",
        target=guarantee,
        changes=changes_between(
            {}, {"guarantor": guarantor.pk, "borrower": borrower.pk, "amount": amount, "note": guarantee.note}
        ),
        ip_address=ip_address,
    )
    return guarantee


@tenant_service(Permission.WRITE)
def guarantee_remove(
    *, tenant: Tenant, actor: User | None, guarantee: Guarantee, ip_address: str | None = None
) -> None:
    _same_tenant(tenant, guarantee)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="guarantee.remove",
        target=guarantee,
        changes=changes_between(
            {"guarantor": guarantee.guarantor_id, "borrower": guarantee.borrower_id, "amount": guarantee.amount}, {}
        ),
        ip_address=ip_address,
    )
    Guarantee.objects.for_tenant(tenant).filter(pk=guarantee.pk).delete()


@tenant_service(Permission.CONFIGURE)
def product_create(*, tenant: Tenant, actor: User | None, name: str, ip_address: str | None = None) -> Product:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写产品名称。")})
    if len(name) > 100:
        raise ValidationError({"name": _("产品名称不能超过 100 个字。")})
    if Product.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": _("已有同名产品。")})
    product = Product.objects.create(tenant=tenant, name=name)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="product.create",
        target=product,
        changes={"name": name},
        ip_address=ip_address,
    )
    return product


# ---------------------------------------------------------------- export

EXPORT_HEADERS = [
    gettext_lazy("名称"),
    gettext_lazy("简称"),
    gettext_lazy("客户类型"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("身份证号"),
    gettext_lazy("手机号"),
    gettext_lazy("行业"),
    gettext_lazy("地区"),
    gettext_lazy("层级"),
    gettext_lazy("客户经理"),
    gettext_lazy("授信额度（元）"),
    gettext_lazy("贷款余额（元）"),
    gettext_lazy("产品"),
    gettext_lazy("战略客户"),
]


@tenant_service(Permission.READ)
def customer_export_rows(
    *, tenant: Tenant, actor: User, filters: Mapping, ip_address: str | None = None
) -> Iterator[list[str]]:
    """The filtered customers as CSV rows, personal data masked; the export itself is audited."""
    customers = customer_list(tenant=tenant, filters=filters)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.export",
        object_type="customers.customer",
        changes={
            "filters": {key: value for key, value in filters.items() if value and key != "page"},
            "count": customers.count(),
        },
        ip_address=ip_address,
    )

    def rows() -> Iterator[list[str]]:
        yield [str(header) for header in EXPORT_HEADERS]
        for c in customers.iterator(chunk_size=2000):
            yield [
                c.name,
                c.short_name,
                c.get_kind_display(),
                c.credit_code,
                c.id_number_masked,
                c.mobile_masked,
                c.industry,
                c.region,
                c.get_tier_display(),
                str(c.relationship_manager.user) if c.relationship_manager_id else "",
                str(c.credit_limit),
                str(c.loan_balance),
                "；".join(p.name for p in c.products.all()),
                _("是") if c.is_strategic else _("否"),
            ]

    return rows()

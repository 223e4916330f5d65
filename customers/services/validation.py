"""The one copy of the rules a customer record must meet: the form, the admin, the CSV import and
the services all go through `CustomerValidator.clean`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import MONEY, Customer, Product, Tier, TierRule
from customers.services import tiering
from customers.validators import (
    normalise_code,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)
from yuqing import privacy
from yuqing.tenancy.models import Membership, Tenant

LIST_SEPARATORS = re.compile(r"[;；,，、\n\r]+")
ALIAS_SEPARATORS = re.compile(r"[;；\n\r]+")
MAX_AMOUNT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])


def split_names(value: str, *, aliases: bool = False) -> list[str]:
    """Split a list typed by a person: aliases by ；/; (names may hold commas), other lists also by ，、."""
    parts = (ALIAS_SEPARATORS if aliases else LIST_SEPARATORS).split(value or "")
    return _unique(part.strip() for part in parts)


def _unique(values) -> list[str]:  # type: ignore[no-untyped-def]
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


@dataclass
class CustomerData:
    """A customer record as entered, before it is saved."""

    kind: str
    name: str
    short_name: str = ""
    aliases: list[str] = field(default_factory=list)
    credit_code: str = ""
    id_number: str | None = None  # None keeps the stored value (edits); "" clears it
    mobile: str | None = None
    industry: str = ""
    region: str = ""
    listed_codes: str = ""
    relationship_manager: Membership | None = None
    credit_limit: Decimal = Decimal("0")
    loan_balance: Decimal = Decimal("0")
    products: list[Product] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    parent: Customer | None = None
    group_role: str = Customer.GroupRole.STANDALONE
    is_strategic: bool = False
    notes: str = ""

    @classmethod
    def from_customer(cls, customer: Customer) -> CustomerData:
        """The stored record, to change a few fields and pass to `customer_update`."""
        from customers.models import CustomerAlias, Tag

        tenant = customer.tenant
        return cls(
            kind=customer.kind,
            name=customer.name,
            short_name=customer.short_name,
            aliases=list(
                CustomerAlias.objects.for_tenant(tenant)
                .filter(customer=customer)
                .order_by("pk")
                .values_list("alias", flat=True)
            ),
            credit_code=customer.credit_code,
            industry=customer.industry,
            region=customer.region,
            listed_codes=customer.listed_codes,
            relationship_manager=(
                Membership.objects.for_tenant(tenant).filter(pk=customer.relationship_manager_id).first()
                if customer.relationship_manager_id
                else None
            ),
            credit_limit=customer.credit_limit,
            loan_balance=customer.loan_balance,
            products=list(Product.objects.for_tenant(tenant).filter(customers=customer)),
            tag_names=list(Tag.objects.for_tenant(tenant).filter(customers=customer).values_list("name", flat=True)),
            parent=(
                Customer.objects.for_tenant(tenant).filter(pk=customer.parent_id).first()
                if customer.parent_id
                else None
            ),
            group_role=customer.group_role,
            is_strategic=customer.is_strategic,
            notes=customer.notes,
        )


class Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


class CustomerValidator:
    """Checks and normalises CustomerData for one tenant.

    Lookups that a CSV import repeats for every row (code owners, rules, the VIP strategy) are
    loaded once per validator; `preload()` fetches the owners of many codes in two queries.
    """

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.now = timezone.now()
        self._rules: list[TierRule] | None = None
        self._vip_needs_rm: bool | None = None
        self._code_owners: dict[str, tuple[int, str]] | None = None
        self._digest_owners: dict[str, tuple[int, str]] | None = None

    # -- lookups

    @property
    def rules(self) -> list[TierRule]:
        if self._rules is None:
            self._rules = tiering.tier_rules_active(tenant=self.tenant)
        return self._rules

    @property
    def vip_needs_rm(self) -> bool:
        if self._vip_needs_rm is None:
            self._vip_needs_rm = tiering.vip_requires_relationship_manager(tenant=self.tenant)
        return self._vip_needs_rm

    def preload(self, *, credit_codes: list[str], id_numbers: list[str]) -> None:
        customers = Customer.objects.for_tenant(self.tenant)
        codes = [normalise_code(code) for code in credit_codes if code]
        digests = [privacy.digest(normalise_code(n), purpose="id_number") for n in id_numbers if n]
        self._code_owners = {
            code: (pk, name)
            for pk, code, name in customers.filter(credit_code__in=codes).values_list("pk", "credit_code", "name")
        }
        self._digest_owners = {
            digest: (pk, name)
            for pk, digest, name in customers.filter(id_number_digest__in=digests).values_list(
                "pk", "id_number_digest", "name"
            )
        }

    def _owner_of_code(self, code: str) -> tuple[int, str] | None:
        if self._code_owners is not None:
            return self._code_owners.get(code)
        return Customer.objects.for_tenant(self.tenant).filter(credit_code=code).values_list("pk", "name").first()

    def _owner_of_digest(self, digest: str) -> tuple[int, str] | None:
        if self._digest_owners is not None:
            return self._digest_owners.get(digest)
        return (
            Customer.objects.for_tenant(self.tenant).filter(id_number_digest=digest).values_list("pk", "name").first()
        )

    # -- the rules

    def clean(
        self, data: CustomerData, *, customer: Customer | None = None, parent_in_vip_group: bool | None = None
    ) -> CustomerData:
        """Return `data` normalised, or raise ValidationError({field: [messages]}) with every problem.

        `parent_in_vip_group` is for parents not saved yet (a row earlier in an import file):
        whether that parent is, or sits under, a customer that is VIP on its own.
        """
        errors = Errors()
        pk = customer.pk if customer is not None else None
        data = dataclasses.replace(
            data,
            name=(data.name or "").strip(),
            short_name=(data.short_name or "").strip(),
            aliases=_unique(alias.strip() for alias in data.aliases),
            credit_code=normalise_code(data.credit_code or ""),
            id_number=None if data.id_number is None else normalise_code(data.id_number),
            mobile=None if data.mobile is None else normalise_code(data.mobile),
            industry=(data.industry or "").strip(),
            region=(data.region or "").strip(),
            listed_codes=(data.listed_codes or "").strip(),
            tag_names=_unique(tag.strip() for tag in data.tag_names),
            notes=(data.notes or "").strip(),
        )
        self._check_names(data, errors)
        self._check_codes(data, errors, customer)
        self._check_amounts(data, errors)
        self._check_links(data, errors, pk)
        if data.group_role not in Customer.GroupRole.values:
            errors.add("group_role", _("请选择集团角色。"))
        if not errors:
            self._check_vip_manager(data, errors, customer, parent_in_vip_group)
        if errors:
            raise ValidationError(dict(errors))
        return data

    def _check_names(self, data: CustomerData, errors: Errors) -> None:
        if data.kind not in Customer.Kind.values:
            errors.add("kind", _("请选择客户类型（企业或个人）。"))
        if not data.name:
            errors.add("name", _("请填写客户名称。"))
        elif len(data.name) > 200:
            errors.add("name", _("客户名称不能超过 200 个字。"))
        if len(data.short_name) > 100:
            errors.add("short_name", _("简称不能超过 100 个字。"))
        if any(len(alias) > 200 for alias in data.aliases):
            errors.add("aliases", _("每个别名不能超过 200 个字。"))
        if any(len(tag) > 50 for tag in data.tag_names):
            errors.add("tags", _("每个标签不能超过 50 个字。"))
        for name, limit in (("industry", 100), ("region", 100), ("listed_codes", 100)):
            if len(getattr(data, name)) > limit:
                errors.add(name, _("不能超过 %(n)d 个字。") % {"n": limit})

    def _check_codes(self, data: CustomerData, errors: Errors, customer: Customer | None) -> None:
        pk = customer.pk if customer is not None else None
        if data.kind == Customer.Kind.ENTERPRISE:
            if not data.credit_code:
                errors.add("credit_code", _("企业客户必须填写统一社会信用代码。"))
            else:
                self._run(validate_credit_code, data.credit_code, "credit_code", errors)
            if data.id_number:
                errors.add("id_number", _("企业客户无需填写身份证号。"))
        elif data.kind == Customer.Kind.INDIVIDUAL:
            if data.credit_code:
                errors.add("credit_code", _("个人客户无需填写统一社会信用代码。"))
            has_stored_id = customer is not None and bool(customer.id_number_digest)
            if (data.id_number is None and not has_stored_id) or data.id_number == "":
                errors.add("id_number", _("个人客户必须填写居民身份证号。"))
            elif data.id_number:
                self._run(validate_id_number, data.id_number, "id_number", errors)
        if data.mobile:
            self._run(validate_mobile, data.mobile, "mobile", errors)
        if data.credit_code and "credit_code" not in errors:
            owner = self._owner_of_code(data.credit_code)
            if owner is not None and owner[0] != pk:
                errors.add("credit_code", _("该统一社会信用代码已登记为客户「%(name)s」。") % {"name": owner[1]})
        if data.id_number and "id_number" not in errors:
            owner = self._owner_of_digest(privacy.digest(data.id_number, purpose="id_number"))
            if owner is not None and owner[0] != pk:
                errors.add("id_number", _("该身份证号已登记为客户「%(name)s」。") % {"name": owner[1]})

    @staticmethod
    def _run(validator, value: str, name: str, errors: Errors) -> None:  # type: ignore[no-untyped-def]
        try:
            validator(value)
        except ValidationError as error:
            for message in error.messages:
                errors.add(name, message)

    def _check_amounts(self, data: CustomerData, errors: Errors) -> None:
        for name in ("credit_limit", "loan_balance"):
            value = getattr(data, name)
            if value is None:
                setattr(data, name, Decimal("0"))
            elif not isinstance(value, Decimal) or not value.is_finite():
                errors.add(name, _("请输入有效的金额（元）。"))
            elif value < 0:
                errors.add(name, _("金额不能为负数。"))
            elif value >= MAX_AMOUNT:
                errors.add(name, _("金额过大，请核对单位（元）。"))
            elif value != value.quantize(Decimal("0.01")):
                errors.add(name, _("金额最多保留两位小数。"))
            else:
                setattr(data, name, value.quantize(Decimal("0.01")))  # as stored, so audits compare equal

    def _check_links(self, data: CustomerData, errors: Errors, pk: int | None) -> None:
        manager = data.relationship_manager
        if manager is not None and (manager.tenant_id != self.tenant.pk or not manager.is_active):
            errors.add("relationship_manager", _("客户经理必须是本机构的有效成员。"))
        if any(product.tenant_id != self.tenant.pk for product in data.products):
            errors.add("products", _("所选产品不属于本机构。"))
        parent = data.parent
        if parent is None:
            return
        if parent.tenant_id != self.tenant.pk:
            errors.add("parent", _("上级客户不存在。"))
        elif pk is not None and (
            parent.pk == pk or pk in tiering.ancestor_ids(tenant=self.tenant, customer_id=parent.pk)
        ):
            errors.add("parent", _("上级客户不能是该客户本身或其下属客户，否则会形成循环。"))

    def _check_vip_manager(
        self, data: CustomerData, errors: Errors, customer: Customer | None, parent_in_vip_group: bool | None
    ) -> None:
        if data.relationship_manager is not None or not self.vip_needs_rm:
            return
        decision = self.evaluate(data, customer=customer, parent_in_vip_group=parent_in_vip_group)
        if decision.tier != Tier.VIP:
            return
        if decision.source == Customer.TierSource.MANUAL:
            why = _("人工调整为 VIP")
        else:
            why = _("符合规则「%(rule)s」") % {"rule": decision.rule.name}
        errors.add(
            "relationship_manager",
            _("该客户为 VIP 客户（%(why)s），服务策略要求指定客户经理，请选择客户经理。") % {"why": why},
        )

    def evaluate(
        self, data: CustomerData, *, customer: Customer | None = None, parent_in_vip_group: bool | None = None
    ) -> tiering.TierDecision:
        """The tier this data would get if it were saved now."""
        rules = self.rules
        facts = tiering.TierFacts(
            pk=customer.pk if customer is not None else None,
            parent_id=data.parent.pk if data.parent is not None else None,
            credit_limit=data.credit_limit,
            loan_balance=data.loan_balance,
            is_strategic=data.is_strategic,
            product_ids=frozenset(product.pk for product in data.products),
            manual_tier=customer.manual_tier if customer is not None else "",
            manual_tier_expires_at=customer.manual_tier_expires_at if customer is not None else None,
        )
        in_group = False
        if tiering.group_rule(rules) is not None:
            if parent_in_vip_group is not None:
                in_group = parent_in_vip_group
            else:
                in_group = tiering.ancestors_vip(
                    tenant=self.tenant, parent_id=facts.parent_id, rules=rules, now=self.now
                )
        return tiering.customer_tier_evaluate(facts, rules=rules, now=self.now, in_vip_group=in_group)


def contact_clean(*, name: str, title: str, email: str, mobile: str | None) -> dict[str, str | None]:
    errors = Errors()
    name, title, email = (name or "").strip(), (title or "").strip(), (email or "").strip()
    mobile = None if mobile is None else normalise_code(mobile)
    if not name:
        errors.add("name", _("请填写联系人姓名。"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("email", _("电子邮箱格式不正确。"))
    if mobile:
        CustomerValidator._run(validate_mobile, mobile, "mobile", errors)
    if errors:
        raise ValidationError(dict(errors))
    return {"name": name, "title": title, "email": email, "mobile": mobile}

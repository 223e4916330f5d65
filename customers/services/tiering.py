"""Tiering (客户分层): which customers are VIP, by the tenant's rules or by hand, and the history.

How a tier is decided (`customer_tier_evaluate`):
1. a manual override in force (no expiry, or expiry in the future) wins;
2. else the first active rule (by name) that the customer matches on its own facts makes it VIP:
   exposure at least (exposure = max(credit limit, loan balance)), strategic flag, has product;
3. else, with an active "VIP group member" rule, the customer is VIP when an ancestor in its
   group is VIP *on its own* — by a rule of step 2 or by a manual VIP override. Ancestors that are
   VIP only because of their own ancestors need no recursion: the walk up the chain finds the
   ancestor that is VIP on its own anyway. The walk keeps a visited set, so even a corrupt cycle
   ends;
4. else standard, by default.

Recomputing is idempotent: a stored tier that matches the decision writes nothing. A real change
writes exactly one TierChange and one audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, ServiceStrategy, Tier, TierChange, TierRule
from yuqing.audit.services import audit_record, changes_between
from yuqing.platform.queue import enqueue
from yuqing.tenancy.context import tenant_sql_scope
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission

OWN_RULE_KINDS = (TierRule.Kind.EXPOSURE_AT_LEAST, TierRule.Kind.STRATEGIC, TierRule.Kind.HAS_PRODUCT)
# Deeper than any real group (集团 → 子公司 → 项目公司 is three); a guard, not a business rule.
MAX_GROUP_DEPTH = 30

DEFAULT_STRATEGIES: dict[str, dict[str, object]] = {
    Tier.VIP: {
        "requires_relationship_manager": True,
        "sla_factor": Decimal("0.50"),
        "risk_weight": Decimal("1.50"),
        "description": "VIP 客户：必须指定客户经理，处置时限减半，风险加权 1.5。",
    },
    Tier.STANDARD: {
        "requires_relationship_manager": False,
        "sla_factor": Decimal("1.00"),
        "risk_weight": Decimal("1.00"),
        "description": "标准客户：标准处置时限与风险权重。",
    },
}


@dataclass(frozen=True, slots=True)
class TierFacts:
    """What the rules look at, for a saved customer or for form data not saved yet."""

    pk: int | None
    parent_id: int | None
    credit_limit: Decimal
    loan_balance: Decimal
    is_strategic: bool
    product_ids: frozenset[int]
    manual_tier: str = ""
    manual_tier_expires_at: dt.datetime | None = None

    @property
    def exposure(self) -> Decimal:
        return max(self.credit_limit, self.loan_balance)

    def manual_in_force(self, now: dt.datetime) -> bool:
        return bool(self.manual_tier) and (self.manual_tier_expires_at is None or self.manual_tier_expires_at > now)


@dataclass(frozen=True)
class TierDecision:
    tier: str
    source: str  # a Customer.TierSource value
    rule: TierRule | None = None
    # An override had run out: the recompute clears it and says why in the history.
    manual_expired: bool = False


# ---------------------------------------------------------------- evaluation (no writes)


def tier_rules_active(*, tenant: Tenant) -> list[TierRule]:
    return list(TierRule.objects.for_tenant(tenant).filter(is_active=True).order_by("name", "pk"))


def _rule_matches(rule: TierRule, facts: TierFacts) -> bool:
    if rule.kind == TierRule.Kind.EXPOSURE_AT_LEAST:
        return rule.threshold is not None and facts.exposure >= rule.threshold
    if rule.kind == TierRule.Kind.STRATEGIC:
        return facts.is_strategic
    if rule.kind == TierRule.Kind.HAS_PRODUCT:
        return rule.product_id is not None and rule.product_id in facts.product_ids
    return False


def own_vip_rule(facts: TierFacts, rules: Iterable[TierRule]) -> TierRule | None:
    """The first rule the customer matches by its own facts (the group rule excluded)."""
    return next((rule for rule in rules if rule.kind in OWN_RULE_KINDS and _rule_matches(rule, facts)), None)


def is_vip_on_its_own(facts: TierFacts, rules: Iterable[TierRule], now: dt.datetime) -> bool:
    if facts.manual_in_force(now):
        return facts.manual_tier == Tier.VIP
    return own_vip_rule(facts, rules) is not None


def group_rule(rules: Iterable[TierRule]) -> TierRule | None:
    return next((rule for rule in rules if rule.kind == TierRule.Kind.VIP_GROUP_MEMBER), None)


def customer_tier_evaluate(
    facts: TierFacts, *, rules: list[TierRule], now: dt.datetime, in_vip_group: bool = False
) -> TierDecision:
    """Which tier applies, from which source and rule. `in_vip_group`: an ancestor is VIP on its own."""
    if facts.manual_in_force(now):
        return TierDecision(tier=facts.manual_tier, source=Customer.TierSource.MANUAL)
    expired = bool(facts.manual_tier)
    rule = own_vip_rule(facts, rules)
    if rule is None and in_vip_group:
        rule = group_rule(rules)
    if rule is not None:
        return TierDecision(tier=Tier.VIP, source=Customer.TierSource.RULE, rule=rule, manual_expired=expired)
    return TierDecision(tier=Tier.STANDARD, source=Customer.TierSource.DEFAULT, manual_expired=expired)


class GroupIndex:
    """Parent links and "VIP on its own" flags of many customers: answers "is an ancestor VIP?"."""

    def __init__(self, parent_of: dict[int, int | None], own_vip: dict[int, bool]) -> None:
        self.parent_of = parent_of
        self.own_vip = own_vip
        self._memo: dict[int, bool] = {}

    def ancestor_is_vip(self, pk: int) -> bool:
        # Walk up until an answer is known, then fill the memo for the whole path walked.
        path: list[int] = []
        seen: set[int] = set()
        current = self.parent_of.get(pk)
        answer = False
        while current is not None and current not in seen and len(path) < MAX_GROUP_DEPTH:
            if current in self._memo:
                answer = self._memo[current] or self.own_vip.get(current, False)
                break
            if self.own_vip.get(current, False):
                answer = True
                break
            seen.add(current)
            path.append(current)
            current = self.parent_of.get(current)
        # Each walked ancestor has the same VIP ancestors above it as the answer found.
        for walked in path:
            self._memo[walked] = answer
        return answer


def _product_ids_by_customer(tenant: Tenant, rules: list[TierRule], customer_ids: Iterable[int] | None) -> dict:
    """Only the products that some rule names: all a rule can look at."""
    wanted = {rule.product_id for rule in rules if rule.kind == TierRule.Kind.HAS_PRODUCT and rule.product_id}
    found: dict[int, set[int]] = defaultdict(set)
    if not wanted:
        return found
    links = Customer.products.through.objects.for_tenant(tenant).filter(product_id__in=wanted)
    if customer_ids is not None:
        links = links.filter(customer_id__in=list(customer_ids))
    for customer_id, product_id in links.values_list("customer_id", "product_id").iterator(chunk_size=5000):
        found[customer_id].add(product_id)
    return found


FACT_FIELDS = (
    "pk",
    "parent_id",
    "credit_limit",
    "loan_balance",
    "is_strategic",
    "manual_tier",
    "manual_tier_expires_at",
)


def _facts(row: tuple, product_ids: dict[int, set[int]]) -> TierFacts:
    pk, parent_id, credit_limit, loan_balance, is_strategic, manual_tier, expires_at = row[:7]
    return TierFacts(
        pk=pk,
        parent_id=parent_id,
        credit_limit=credit_limit,
        loan_balance=loan_balance,
        is_strategic=is_strategic,
        product_ids=frozenset(product_ids.get(pk, ())),
        manual_tier=manual_tier,
        manual_tier_expires_at=expires_at,
    )


def ancestor_ids(*, tenant: Tenant, customer_id: int, include_self: bool = False) -> list[int]:
    """The parent chain, nearest first, in one recursive query (both databases speak WITH RECURSIVE)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    sql = f"""
        WITH RECURSIVE chain(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM {table} WHERE id = %s AND tenant_id = %s
            UNION ALL
            SELECT c.id, c.parent_id, chain.depth + 1 FROM {table} c JOIN chain ON c.id = chain.parent_id
            WHERE c.tenant_id = %s AND chain.depth < %s
        )
        SELECT id FROM chain ORDER BY depth
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with tenant_sql_scope(tenant), connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, tenant.pk, tenant.pk, MAX_GROUP_DEPTH])
        ids = [row[0] for row in cursor.fetchall()]
    if ids and not include_self:
        ids = ids[1:]
    return ids


def ancestors_vip(*, tenant: Tenant, parent_id: int | None, rules: list[TierRule], now: dt.datetime) -> bool:
    """Whether the chain starting at `parent_id` holds a customer that is VIP on its own."""
    if parent_id is None:
        return False
    chain = ancestor_ids(tenant=tenant, customer_id=parent_id, include_self=True)
    if not chain:
        return False
    products = _product_ids_by_customer(tenant, rules, chain)
    rows = Customer.objects.for_tenant(tenant).filter(pk__in=chain).values_list(*FACT_FIELDS)
    return any(is_vip_on_its_own(_facts(row, products), rules, now) for row in rows)


def customer_facts(*, tenant: Tenant, customer: Customer, rules: list[TierRule]) -> TierFacts:
    products = _product_ids_by_customer(tenant, rules, [customer.pk]) if customer.pk else {}
    return TierFacts(
        pk=customer.pk,
        parent_id=customer.parent_id,
        credit_limit=customer.credit_limit,
        loan_balance=customer.loan_balance,
        is_strategic=customer.is_strategic,
        product_ids=frozenset(products.get(customer.pk, ())),
        manual_tier=customer.manual_tier,
        manual_tier_expires_at=customer.manual_tier_expires_at,
    )


# ---------------------------------------------------------------- service strategies


def service_strategy_defaults(tier: str) -> ServiceStrategy:
    """The shipped strategy of a tier, unsaved: what applies until the tenant stores its own."""
    return ServiceStrategy(tier=tier, **DEFAULT_STRATEGIES[tier])


@tenant_service(None)
def service_strategies_ensure(*, tenant: Tenant) -> dict[str, ServiceStrategy]:
    """Create the default strategy rows the tenant lacks; return one per tier."""
    stored = {s.tier: s for s in ServiceStrategy.objects.for_tenant(tenant)}
    missing = [
        ServiceStrategy(tenant=tenant, tier=tier, **DEFAULT_STRATEGIES[tier])
        for tier in Tier.values
        if tier not in stored
    ]
    if missing:
        ServiceStrategy.objects.bulk_create(missing, ignore_conflicts=True)
        stored = {s.tier: s for s in ServiceStrategy.objects.for_tenant(tenant)}
    return stored


def vip_requires_relationship_manager(*, tenant: Tenant) -> bool:
    strategy = ServiceStrategy.objects.for_tenant(tenant).filter(tier=Tier.VIP).first()
    return (strategy or service_strategy_defaults(Tier.VIP)).requires_relationship_manager


# ---------------------------------------------------------------- applying a decision


def _change_reason(decision: TierDecision) -> str:
    if decision.manual_expired:
        return _("人工调整到期")
    if decision.rule is not None:
        return _("符合规则「%(rule)s」") % {"rule": decision.rule.name}
    return _("不符合任何 VIP 规则")


def _apply(
    tenant: Tenant, customer: Customer, decision: TierDecision, *, actor: User | None, reason: str
) -> TierChange | None:
    """Store the decision on `customer` (a locked row). Returns the TierChange when the tier changed."""
    before = {"tier": customer.tier, "tier_source": customer.tier_source, "manual_tier": customer.manual_tier}
    fields: list[str] = []
    if decision.manual_expired:
        customer.manual_tier, customer.manual_tier_reason, customer.manual_tier_expires_at = "", "", None
        fields += ["manual_tier", "manual_tier_reason", "manual_tier_expires_at"]
    if customer.tier_source != decision.source:
        customer.tier_source = decision.source
        fields.append("tier_source")
    change = None
    if customer.tier != decision.tier:
        from_tier = customer.tier
        customer.tier = decision.tier
        fields.append("tier")
        change = TierChange.objects.create(
            tenant=tenant,
            customer=customer,
            from_tier=from_tier,
            to_tier=decision.tier,
            source=decision.source,
            rule=decision.rule,
            actor=actor,
            reason=(reason or _change_reason(decision))[:500],
        )
    if not fields:
        return None
    Customer.objects.for_tenant(tenant).filter(pk=customer.pk).update(
        **{field: getattr(customer, field) for field in fields}
    )
    if change is not None or decision.manual_expired:
        after = {"tier": customer.tier, "tier_source": customer.tier_source, "manual_tier": customer.manual_tier}
        changes = changes_between(before, after)
        changes["reason"] = change.reason if change else _("人工调整到期")
        if decision.rule is not None:
            changes["rule"] = decision.rule.name
        audit_record(
            tenant=tenant,
            actor=actor,
            action="customer.tier_change" if change else "customer.tier_override_expire",
            target=customer,
            changes=changes,
        )
    return change


@tenant_service(None)
def customer_tier_recompute(
    *, tenant: Tenant, customer: Customer, actor: User | None = None, reason: str = ""
) -> TierChange | None:
    """Recompute one customer's tier; write history only when it really changes."""
    locked = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer.pk)
    rules = tier_rules_active(tenant=tenant)
    now = timezone.now()
    in_group = group_rule(rules) is not None and ancestors_vip(
        tenant=tenant, parent_id=locked.parent_id, rules=rules, now=now
    )
    decision = customer_tier_evaluate(
        customer_facts(tenant=tenant, customer=locked, rules=rules), rules=rules, now=now, in_vip_group=in_group
    )
    change = _apply(tenant, locked, decision, actor=actor, reason=reason)
    for field in ("tier", "tier_source", "manual_tier", "manual_tier_reason", "manual_tier_expires_at"):
        setattr(customer, field, getattr(locked, field))
    return change


def descendant_ids(*, tenant: Tenant, customer_id: int) -> list[int]:
    """Every customer below `customer_id` in its group, level by level (a query per level)."""
    found: list[int] = []
    seen = {customer_id}
    level = [customer_id]
    for _depth in range(MAX_GROUP_DEPTH):
        level = [
            pk
            for pk in Customer.objects.for_tenant(tenant).filter(parent_id__in=level).values_list("pk", flat=True)
            if pk not in seen
        ]
        if not level:
            break
        seen.update(level)
        found.extend(level)
    return found


@tenant_service(None, atomic=False)  # one transaction per customer
def customer_tier_recompute_with_group(*, tenant: Tenant, customer_id: int) -> int:
    """The customer and everyone below it (their "VIP group member" rule may depend on it)."""
    changed = 0
    ids = [customer_id, *descendant_ids(tenant=tenant, customer_id=customer_id)]
    for customer in Customer.objects.for_tenant(tenant).filter(pk__in=ids).only("pk").iterator():
        changed += customer_tier_recompute(tenant=tenant, customer=customer) is not None
    return changed


@dataclass(frozen=True)
class RecomputeResult:
    checked: int
    changed: int


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@tenant_service(None, atomic=False)  # a transaction per chunk
def tier_recompute_tenant(*, tenant: Tenant, chunk_size: int = 1000) -> RecomputeResult:
    """Recompute every customer of the tenant with a handful of queries per thousand customers.

    One pass reads the facts of all customers (values only, streamed), decisions are made in
    memory (100,000 customers are a few dozen MB), and only the customers whose stored tier or
    source differs are locked and written, a chunk per transaction.
    """
    rules = tier_rules_active(tenant=tenant)
    now = timezone.now()
    products = _product_ids_by_customer(tenant, rules, None)
    facts: dict[int, TierFacts] = {}
    stored: dict[int, tuple[str, str]] = {}
    rows = Customer.objects.for_tenant(tenant).values_list(*FACT_FIELDS, "tier", "tier_source")
    for row in rows.iterator(chunk_size=5000):
        facts[row[0]] = _facts(row, products)
        stored[row[0]] = (row[7], row[8])
    groups = None
    if group_rule(rules) is not None:
        groups = GroupIndex(
            {pk: f.parent_id for pk, f in facts.items()},
            {pk: is_vip_on_its_own(f, rules, now) for pk, f in facts.items()},
        )
    decisions: dict[int, TierDecision] = {}
    for pk, fact in facts.items():
        decision = customer_tier_evaluate(
            fact, rules=rules, now=now, in_vip_group=groups.ancestor_is_vip(pk) if groups else False
        )
        if stored[pk] != (decision.tier, decision.source) or decision.manual_expired:
            decisions[pk] = decision
    changed = 0
    for chunk in _chunks(sorted(decisions), chunk_size):
        with transaction.atomic():
            for customer in Customer.objects.for_tenant(tenant).select_for_update().filter(pk__in=chunk):
                changed += _apply(tenant, customer, decisions[customer.pk], actor=None, reason="") is not None
    return RecomputeResult(checked=len(facts), changed=changed)


# ---------------------------------------------------------------- manual overrides


def _enqueue_group_recompute(tenant: Tenant, customer: Customer) -> None:
    enqueue("customers.jobs.tier_recompute_customer", tenant_id=tenant.pk, customer_id=customer.pk)


@tenant_service(Permission.WRITE)
def customer_tier_override(
    *,
    tenant: Tenant,
    actor: User,
    customer: Customer,
    tier: str,
    reason: str,
    expires_at: dt.datetime | None = None,
    ip_address: str | None = None,
    enqueue_recompute: bool = True,
) -> TierChange | None:
    """Set the tier by hand, with a reason, until `expires_at` (or until cleared).

    The customer's group members are recomputed by a job after commit (their "VIP group member"
    rule may depend on this customer); bulk callers pass `enqueue_recompute=False`.
    """
    locked = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer.pk)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if tier not in Tier.values:
        errors["tier"] = _("请选择层级（VIP 或标准）。")
    if not reason:
        errors["reason"] = _("请填写人工调整的原因。")
    elif len(reason) > 500:
        errors["reason"] = _("原因不能超过 500 字。")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("到期时间必须晚于当前时间。")
    if tier == Tier.VIP and locked.relationship_manager_id is None and vip_requires_relationship_manager(tenant=tenant):
        errors["tier"] = _("VIP 客户的服务策略要求指定客户经理：请先在客户资料中选择客户经理，再调整为 VIP。")
    if errors:
        raise ValidationError(errors)
    before = {
        "manual_tier": locked.manual_tier,
        "manual_tier_reason": locked.manual_tier_reason,
        "manual_tier_expires_at": locked.manual_tier_expires_at,
    }
    locked.manual_tier, locked.manual_tier_reason, locked.manual_tier_expires_at = tier, reason, expires_at
    locked.save(update_fields=["manual_tier", "manual_tier_reason", "manual_tier_expires_at", "updated_at"])
    after = {"manual_tier": tier, "manual_tier_reason": reason, "manual_tier_expires_at": expires_at}
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.tier_override",
        target=locked,
        changes=changes_between(before, after),
        ip_address=ip_address,
    )
    change = customer_tier_recompute(tenant=tenant, customer=customer, actor=actor, reason=reason)
    if enqueue_recompute:
        _enqueue_group_recompute(tenant, customer)
    return change


@tenant_service(Permission.WRITE)
def customer_tier_override_clear(
    *, tenant: Tenant, actor: User, customer: Customer, ip_address: str | None = None
) -> TierChange | None:
    """End a manual override now: the rules decide again."""
    locked = Customer.objects.for_tenant(tenant).select_for_update().get(pk=customer.pk)
    if not locked.manual_tier:
        return None
    before = {
        "manual_tier": locked.manual_tier,
        "manual_tier_reason": locked.manual_tier_reason,
        "manual_tier_expires_at": locked.manual_tier_expires_at,
    }
    locked.manual_tier, locked.manual_tier_reason, locked.manual_tier_expires_at = "", "", None
    locked.save(update_fields=["manual_tier", "manual_tier_reason", "manual_tier_expires_at", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.tier_override_clear",
        target=locked,
        changes=changes_between(before, {"manual_tier": "", "manual_tier_reason": "", "manual_tier_expires_at": None}),
        ip_address=ip_address,
    )
    change = customer_tier_recompute(tenant=tenant, customer=customer, actor=actor, reason=_("撤销人工调整"))
    _enqueue_group_recompute(tenant, customer)
    return change


# ---------------------------------------------------------------- rules


def _rule_snapshot(rule: TierRule) -> dict[str, object]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "threshold": rule.threshold,
        "product": rule.product_id,
        "is_active": rule.is_active,
    }


def tier_rule_clean(tenant: Tenant, rule: TierRule) -> None:
    errors: dict[str, str] = {}
    rule.name = (rule.name or "").strip()
    if not rule.name:
        errors["name"] = _("请填写规则名称。")
    elif TierRule.objects.for_tenant(tenant).filter(name=rule.name).exclude(pk=rule.pk).exists():
        errors["name"] = _("已有同名规则。")
    if rule.kind not in TierRule.Kind.values:
        errors["kind"] = _("请选择规则类型。")
    if rule.kind == TierRule.Kind.EXPOSURE_AT_LEAST:
        if rule.threshold is None or rule.threshold <= 0:
            errors["threshold"] = _("“授信或余额不低于”规则需要一个大于 0 的金额阈值（元）。")
    else:
        rule.threshold = None
    if rule.kind == TierRule.Kind.HAS_PRODUCT:
        if rule.product is None:
            errors["product"] = _("“使用指定产品”规则需要选择产品。")
        elif rule.product.tenant_id != tenant.pk:
            errors["product"] = _("产品不属于本机构。")
    else:
        rule.product = None
    if errors:
        raise ValidationError(errors)


@tenant_service(Permission.CONFIGURE)
def tier_rule_save(
    *,
    tenant: Tenant,
    actor: User | None,
    rule: TierRule,
    ip_address: str | None = None,
    enqueue_recompute: bool = True,
) -> TierRule:
    """Create or change a rule; every customer of the tenant is recomputed by a job after commit."""
    before = {}
    if rule.pk:
        before = _rule_snapshot(TierRule.objects.for_tenant(tenant).get(pk=rule.pk))
    rule.tenant = tenant
    tier_rule_clean(tenant, rule)
    rule.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="tier_rule.change" if before else "tier_rule.create",
        target=rule,
        changes=changes_between(before, _rule_snapshot(rule)),
        ip_address=ip_address,
    )
    if enqueue_recompute:
        _enqueue_tenant_recompute(tenant)
    return rule


@tenant_service(Permission.CONFIGURE)
def tier_rule_create(
    *,
    tenant: Tenant,
    actor: User | None,
    name: str,
    kind: str,
    threshold: Decimal | None = None,
    product: object = None,
    is_active: bool = True,
    enqueue_recompute: bool = True,
) -> TierRule:
    rule = TierRule(tenant=tenant, name=name, kind=kind, threshold=threshold, product=product, is_active=is_active)
    return tier_rule_save(tenant=tenant, actor=actor, rule=rule, enqueue_recompute=enqueue_recompute)


@tenant_service(Permission.CONFIGURE)
def tier_rule_delete(*, tenant: Tenant, actor: User | None, rule: TierRule, ip_address: str | None = None) -> None:
    audit_record(
        tenant=tenant,
        actor=actor,
        action="tier_rule.delete",
        target=rule,
        changes=changes_between(_rule_snapshot(rule), {}),
        ip_address=ip_address,
    )
    TierRule.objects.for_tenant(tenant).filter(pk=rule.pk).delete()
    _enqueue_tenant_recompute(tenant)


def _enqueue_tenant_recompute(tenant: Tenant) -> None:
    enqueue("customers.jobs.tier_recompute_tenant", tenant_id=tenant.pk)

"""Writes of the monitoring settings: sources, keyword rules and the warning policy.

The portal's settings pages and the Django admin call these. Monitoring settings belong to the
tenant's admins and managers — the roles that hold Permission.APPROVE; handlers, viewers and
auditors may read them. Every write is validated (Chinese messages) and audited in its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record
from yuqing.monitoring.models import KeywordRule, Source, WarningPolicy
from yuqing.monitoring.services.feed_fetch import feed_url_problem
from yuqing.monitoring.services.lexicon import keyword_rules_seed
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Membership, Tenant, User
from yuqing.tenancy.roles import Permission, has_permission

# Who configures monitoring: tenant admins and managers (both hold APPROVE, handlers do not).
SETTINGS_PERMISSION = Permission.APPROVE

SOURCE_FIELDS = ("name", "kind", "weight", "owner", "feed_url", "poll_minutes", "to_simplified", "is_paused")
RULE_FIELDS = ("term", "kind", "category", "weight", "field", "is_active")
POLICY_FIELDS = ("blue_at", "yellow_at", "orange_at", "red_at", "label_style", "story_window_hours", "vip_boost")
MAX_WINDOW_HOURS = 24 * 30


def can_configure(membership: Membership | None) -> bool:
    return has_permission(membership, SETTINGS_PERMISSION)


def _changes(instance: Any, data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    changes = {}
    for name in fields:
        if name not in data:
            continue
        before, after = getattr(instance, name), data[name]
        if before != after:
            changes[name] = {"before": str(before) if before is not None else "", "after": str(after)}
            setattr(instance, name, after)
    return changes


def _full_clean(instance: Any) -> None:
    # The model's own validators (weights, URL) and the per-tenant unique constraints, in Chinese.
    instance.full_clean(exclude=["tenant"], validate_unique=True, validate_constraints=True)


# ---------------------------------------------------------------- sources


def source_setting_problems(*, kind: str | None, feed_url: str, poll_minutes: int | None) -> list[tuple[str, str]]:
    """What is wrong with a source's kind, feed URL and poll interval, in order: (field, message).

    The portal's services refuse the first; the admin's form shows them all beside the fields.
    """
    problems: list[tuple[str, str]] = []
    if kind == Source.Kind.FEED and not feed_url:
        problems.append(("feed_url", _("RSS/Atom 订阅类信息源需要填写订阅地址。")))
    if feed_url and kind and kind != Source.Kind.FEED:
        problems.append(("feed_url", _("只有 RSS/Atom 订阅类信息源才填写订阅地址。")))
    if feed_url and (problem := feed_url_problem(feed_url)):
        # The poller re-checks after DNS and on every redirect; this catches what the URL itself says.
        problems.append(("feed_url", problem))
    if poll_minutes is not None and not 5 <= poll_minutes <= 24 * 60:
        problems.append(("poll_minutes", _("抓取间隔须在 5 分钟到 1440 分钟（一天）之间。")))
    return problems


def _check_source(tenant: Tenant, source: Source) -> None:
    if source.owner_id is not None and not Membership.objects.for_tenant(tenant).filter(pk=source.owner_id).exists():
        raise ValidationError({"owner": _("请选择本机构的成员。")})
    problems = source_setting_problems(kind=source.kind, feed_url=source.feed_url, poll_minutes=source.poll_minutes)
    if problems:
        field, message = problems[0]
        raise ValidationError({field: message})
    duplicate = Source.objects.for_tenant(tenant).filter(name=source.name).exclude(pk=source.pk).exists()
    if duplicate:
        raise ValidationError({"name": _("已有同名信息源“%(name)s”。") % {"name": source.name}})


@tenant_service(SETTINGS_PERMISSION)
def source_create(*, tenant: Tenant, actor: User | None, data: Mapping[str, Any]) -> Source:
    source = Source(tenant=tenant)
    changes = _changes(source, data, SOURCE_FIELDS)
    _check_source(tenant, source)
    _full_clean(source)
    source.save()
    audit_record(tenant=tenant, actor=actor, action="source.create", target=source, changes=changes)
    return source


@tenant_service(SETTINGS_PERMISSION)
def source_update(*, tenant: Tenant, actor: User | None, source: Source, data: Mapping[str, Any]) -> Source:
    source = Source.objects.for_tenant(tenant).select_for_update().get(pk=source.pk)
    changes = _changes(source, data, SOURCE_FIELDS)
    if not changes:
        return source
    _check_source(tenant, source)
    _full_clean(source)
    if "feed_url" in changes:
        # A new address starts afresh: no conditional-GET validators or old error from the former one.
        source.feed_etag = source.feed_modified = source.last_poll_error = ""
        source.last_poll_status = Source.PollStatus.NEVER
    source.save()
    audit_record(tenant=tenant, actor=actor, action="source.update", target=source, changes=changes)
    return source


@tenant_service(SETTINGS_PERMISSION)
def source_set_paused(*, tenant: Tenant, actor: User | None, source: Source, paused: bool) -> Source:
    """Pause a source (its feed is no longer polled, its API and file items are refused) or resume it."""
    source = Source.objects.for_tenant(tenant).select_for_update().get(pk=source.pk)
    if source.is_paused != paused:
        source.is_paused = paused
        source.save(update_fields=["is_paused"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="source.pause" if paused else "source.resume",
            target=source,
            changes={"is_paused": {"before": str(not paused), "after": str(paused)}},
        )
    return source


# ---------------------------------------------------------------- keyword rules


def keyword_term_clean(term: str | None) -> str:
    """A rule's term as stored (trimmed): one word, so ValidationError when empty or holding a space."""
    term = (term or "").strip()
    if not term:
        raise ValidationError(_("请填写词语。"))
    if any(ch.isspace() for ch in term):
        raise ValidationError(_("词语中不能有空格；多个词请分别添加。"))
    return term


def _check_rule(tenant: Tenant, rule: KeywordRule) -> None:
    try:
        rule.term = keyword_term_clean(rule.term)
    except ValidationError as error:
        raise ValidationError({"term": error.messages}) from None
    rule.category = (rule.category or "").strip()
    duplicate = (
        KeywordRule.objects.for_tenant(tenant).filter(term=rule.term, kind=rule.kind).exclude(pk=rule.pk).exists()
    )
    if duplicate:
        raise ValidationError({"term": _("已有同类型的词语“%(term)s”，请直接编辑该规则。") % {"term": rule.term}})


@tenant_service(SETTINGS_PERMISSION)
def keyword_rule_create(*, tenant: Tenant, actor: User | None, data: Mapping[str, Any]) -> KeywordRule:
    rule = KeywordRule(tenant=tenant)
    changes = _changes(rule, data, RULE_FIELDS)
    _check_rule(tenant, rule)
    _full_clean(rule)
    rule.save()
    audit_record(tenant=tenant, actor=actor, action="keyword_rule.create", target=rule, changes=changes)
    return rule


@tenant_service(SETTINGS_PERMISSION)
def keyword_rule_update(
    *, tenant: Tenant, actor: User | None, rule: KeywordRule, data: Mapping[str, Any]
) -> KeywordRule:
    rule = KeywordRule.objects.for_tenant(tenant).select_for_update().get(pk=rule.pk)
    changes = _changes(rule, data, RULE_FIELDS)
    if not changes:
        return rule
    _check_rule(tenant, rule)
    _full_clean(rule)
    rule.save()
    audit_record(tenant=tenant, actor=actor, action="keyword_rule.update", target=rule, changes=changes)
    return rule


@tenant_service(SETTINGS_PERMISSION)
def keyword_rule_set_active(*, tenant: Tenant, actor: User | None, rule: KeywordRule, active: bool) -> KeywordRule:
    """Deactivate a rule (scoring stops using it; kept for the history of explanations) or reactivate it."""
    return keyword_rule_update(tenant=tenant, actor=actor, rule=rule, data={"is_active": active})


# ---------------------------------------------------------------- warning policy


def validate_thresholds(values: Mapping[str, Any]) -> None:
    """蓝 < 黄 < 橙 < 红, each between 1 and 100; the window between 1 hour and 30 days."""
    errors: dict[str, list[str]] = {}
    levels = [("blue_at", _("蓝色")), ("yellow_at", _("黄色")), ("orange_at", _("橙色")), ("red_at", _("红色"))]
    for name, label in levels:
        value = values.get(name)
        if value is not None and not 1 <= value <= 100:
            errors.setdefault(name, []).append(_("%(level)s预警分数线须在 1 到 100 之间。") % {"level": label})
    present = [(name, label, values.get(name)) for name, label in levels if values.get(name) is not None]
    for (_low_name, low_label, low), (high_name, high_label, high) in pairwise(present):
        if not low < high:
            errors.setdefault(high_name, []).append(
                _(
                    "%(high)s预警分数线（%(high_value)s）须高于%(low)s预警分数线（%(low_value)s）："
                    "应满足 蓝 < 黄 < 橙 < 红。"
                )
                % {"high": high_label, "high_value": high, "low": low_label, "low_value": low}
            )
    window = values.get("story_window_hours")
    if window is not None and not 1 <= window <= MAX_WINDOW_HOURS:
        errors.setdefault("story_window_hours", []).append(
            _("话题归并窗口须在 1 小时到 %(max)d 小时（30 天）之间。") % {"max": MAX_WINDOW_HOURS}
        )
    boost = values.get("vip_boost")
    if boost is not None and not 0 <= boost <= 50:
        errors.setdefault("vip_boost", []).append(_("VIP 客户加分须在 0 到 50 之间。"))
    if errors:
        raise ValidationError(errors)


@tenant_service(SETTINGS_PERMISSION)
def warning_policy_update(*, tenant: Tenant, actor: User | None, data: Mapping[str, Any]) -> WarningPolicy:
    """Change the tenant's thresholds, label style and grouping window (creating the policy row if needed)."""
    policy, _created = WarningPolicy.objects.for_tenant(tenant).select_for_update().get_or_create(tenant=tenant)
    merged = {name: data.get(name, getattr(policy, name)) for name in POLICY_FIELDS}
    validate_thresholds(merged)
    changes = _changes(policy, data, POLICY_FIELDS)
    if changes:
        policy.save()
        audit_record(tenant=tenant, actor=actor, action="warning_policy.update", target=policy, changes=changes)
    return policy


@tenant_service(SETTINGS_PERMISSION)
def keyword_rules_seed_missing(*, tenant: Tenant, actor: User | None) -> int:
    """Add the seed lexicon's rules the tenant lacks; returns how many were added."""
    added = keyword_rules_seed(tenant=tenant)
    if added:
        audit_record(
            tenant=tenant,
            actor=actor,
            action="keyword_rule.seed",
            object_type="monitoring.keywordrule",
            object_repr=_("预置词库"),
            changes={"added": added},
        )
    return added

"""Read queries of the monitoring portal. Each takes the tenant; lists cost a fixed number of queries.

The dashboard's figures are in `yuqing.monitoring.selectors.dashboard`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerAlias
from yuqing.monitoring.filters import MentionFilter, contains_lookup
from yuqing.monitoring.models import (
    IngestToken,
    KeywordRule,
    Level,
    Mention,
    MentionCustomer,
    RiskWarning,
    SentimentModel,
    Source,
    WarningChange,
    WarningPolicy,
)
from yuqing.monitoring.services.warnings.handling import level_name
from yuqing.tenancy.models import Tenant
from yuqing.tenancy.selectors import get_for_tenant

LIVE_LIMIT = 50  # new mentions one poll of the live stream brings at most
BOARD_CARDS = 30  # per level column; the column links to the filtered stream for the rest
CUSTOMER_OPTIONS = 30

# ---------------------------------------------------------------- levels


def warning_policy_get(*, tenant: Tenant) -> WarningPolicy:
    """The tenant's policy, or an unsaved one with the defaults (reading never creates it)."""
    return WarningPolicy.objects.for_tenant(tenant).first() or WarningPolicy(tenant=tenant)


def level_labels(*, tenant: Tenant, policy: WarningPolicy | None = None) -> dict[int, str]:
    """Level number → the label in the tenant's chosen style (一级至四级, or the 2006 plan's names)."""
    policy = policy or warning_policy_get(tenant=tenant)
    return {int(level): level_name(level, policy) for level in Level}


# ---------------------------------------------------------------- mentions


def _customer_links(tenant: Tenant) -> Prefetch:
    return Prefetch(
        "customer_links",
        queryset=MentionCustomer.objects.for_tenant(tenant).select_related("customer").order_by("pk"),
    )


def _mentions(tenant: Tenant) -> QuerySet[Mention]:
    return (
        Mention.objects.for_tenant(tenant)
        .select_related("source")
        .prefetch_related(_customer_links(tenant))
        .order_by("-published_at", "-pk")
    )


def mention_filterset(*, tenant: Tenant, filters: Mapping | None = None) -> MentionFilter:
    """The stream's filters bound to `filters`: `.qs` the mentions, `.form` the form (built once)."""
    return MentionFilter(filters or None, queryset=_mentions(tenant), tenant=tenant)


def mention_list(*, tenant: Tenant, filters: Mapping | MentionFilter | None = None) -> QuerySet[Mention]:
    """The tenant's mentions, newest published first, filtered by MentionFilter, with source and customers."""
    if isinstance(filters, MentionFilter):
        return filters.qs
    return mention_filterset(tenant=tenant, filters=filters).qs


def mention_cursor(*, tenant: Tenant) -> int:
    """The newest mention id of the tenant now: the live stream brings what arrives after it."""
    newest = Mention.objects.for_tenant(tenant).order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def mention_newer(
    *, tenant: Tenant, filters: Mapping | MentionFilter | None, after: int, limit: int = LIVE_LIMIT
) -> list[Mention]:
    """Mentions received after id `after` that match the filters, newest published first."""
    return list(mention_list(tenant=tenant, filters=filters).filter(pk__gt=after)[:limit])


def mention_get(*, tenant: Tenant, pk: object) -> Mention:
    """One mention with what its page shows, or Http404 (also for another tenant's mention)."""
    queryset = (
        Mention.objects.for_tenant(tenant)
        .select_related("source", "story", "story__warning", "story__warning__incident", "triaged_by__user")
        .prefetch_related(_customer_links(tenant))
    )
    return get_for_tenant(queryset, tenant=tenant, pk=pk)


def customer_options(
    *, tenant: Tenant, text: str, keep: object = None, limit: int = CUSTOMER_OPTIONS
) -> list[Customer]:
    """Customers of the tenant whose name, short name or alias contains `text` (the filter's search).

    `keep` is the customer chosen now: it stays first in the list, so that searching never silently
    changes the filter the stream shows.
    """
    text = (text or "").strip()
    customers = Customer.objects.for_tenant(tenant).only("pk", "name", "short_name", "tier")
    if text:
        lookup = contains_lookup(text)
        aliases = CustomerAlias.objects.for_tenant(tenant).filter(**{f"alias__{lookup}": text}).values("customer_id")
        customers = customers.filter(
            Q(**{f"name__{lookup}": text}) | Q(**{f"short_name__{lookup}": text}) | Q(pk__in=aliases)
        )
    else:
        # Nothing typed: the customers mentioned most often lately are the likely choice.
        mentioned = (
            MentionCustomer.objects.for_tenant(tenant)
            .values("customer_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values("customer_id")[:limit]
        )
        customers = customers.filter(pk__in=mentioned)
    found = list(customers.order_by("name", "pk")[:limit])
    try:
        kept_pk = int(keep) if keep else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        kept_pk = None
    if kept_pk is not None and all(customer.pk != kept_pk for customer in found):
        kept = Customer.objects.for_tenant(tenant).only("pk", "name", "short_name", "tier").filter(pk=kept_pk).first()
        if kept is not None:
            found.insert(0, kept)
    return found


# ---------------------------------------------------------------- warnings


@dataclass(frozen=True)
class BoardColumn:
    level: int
    label: str
    colour: str
    total: int
    warnings: list[RiskWarning] = field(default_factory=list)


LEVEL_COLOURS = {Level.RED: "red", Level.ORANGE: "orange", Level.YELLOW: "yellow", Level.BLUE: "blue"}
OPEN_STATUSES = (RiskWarning.Status.OPEN, RiskWarning.Status.ACKNOWLEDGED)


def _warnings(tenant: Tenant) -> QuerySet[RiskWarning]:
    return RiskWarning.objects.for_tenant(tenant).select_related("story", "incident", "handler__user", "trigger")


def warning_board(*, tenant: Tenant, labels: dict[int, str] | None = None) -> list[BoardColumn]:
    """Open and acknowledged warnings, one column per level (red first), most recently updated on
    top; five queries whatever the number of warnings."""
    labels = labels or level_labels(tenant=tenant)
    totals = dict(
        RiskWarning.objects.for_tenant(tenant)
        .filter(status__in=OPEN_STATUSES)
        .values_list("level")
        .annotate(total=Count("pk"))
        .order_by()
    )
    columns = []
    for level in (Level.RED, Level.ORANGE, Level.YELLOW, Level.BLUE):
        cards = list(
            _warnings(tenant).filter(status__in=OPEN_STATUSES, level=level).order_by("-updated_at", "-pk")[:BOARD_CARDS]
        )
        columns.append(
            BoardColumn(
                level=int(level),
                label=labels[int(level)],
                colour=LEVEL_COLOURS[level],
                total=totals.get(int(level), 0),
                warnings=cards,
            )
        )
    return columns


def warning_get(*, tenant: Tenant, pk: object) -> RiskWarning:
    return get_for_tenant(_warnings(tenant), tenant=tenant, pk=pk)


def warning_changes(*, tenant: Tenant, warning: RiskWarning) -> list[WarningChange]:
    return list(
        WarningChange.objects.for_tenant(tenant)
        .filter(warning=warning)
        .select_related("changed_by__user")
        .order_by("at", "pk")
    )


def story_mentions(*, tenant: Tenant, story_id: int | None, limit: int = 20) -> list[Mention]:
    """The latest mentions of a story (the detail page lists its siblings)."""
    if story_id is None:
        return []
    return list(
        Mention.objects.for_tenant(tenant)
        .filter(story_id=story_id)
        .select_related("source")
        .order_by("-published_at", "-pk")[:limit]
    )


# ---------------------------------------------------------------- settings pages


def source_list(*, tenant: Tenant) -> QuerySet[Source]:
    """Sources with their owner, by name."""
    return Source.objects.for_tenant(tenant).select_related("owner__user").order_by("name", "pk")


def source_get(*, tenant: Tenant, pk: object) -> Source:
    return get_for_tenant(Source.objects.for_tenant(tenant).select_related("owner__user"), tenant=tenant, pk=pk)


@dataclass(frozen=True)
class RuleGroup:
    kind: str
    label: str
    categories: list[tuple[str, list[KeywordRule]]]
    total: int


def keyword_rule_groups(*, tenant: Tenant, show_inactive: bool = True) -> list[RuleGroup]:
    """The tenant's keyword rules by kind, then by category (the seeded lexicon's categories)."""
    rules = KeywordRule.objects.for_tenant(tenant).order_by("kind", "category", "term", "pk")
    if not show_inactive:
        rules = rules.filter(is_active=True)
    by_kind: dict[str, dict[str, list[KeywordRule]]] = {kind: {} for kind in KeywordRule.Kind.values}
    for rule in rules:
        by_kind.setdefault(rule.kind, {}).setdefault(rule.category or _("未分类"), []).append(rule)
    groups = []
    order = (KeywordRule.Kind.SENSITIVE, KeywordRule.Kind.INCLUDE, KeywordRule.Kind.EXCLUDE)
    for kind in order:
        categories = sorted(by_kind.get(kind, {}).items())
        groups.append(
            RuleGroup(
                kind=kind,
                label=str(kind.label),
                categories=categories,
                total=sum(len(items) for _category, items in categories),
            )
        )
    return groups


def keyword_rule_get(*, tenant: Tenant, pk: object) -> KeywordRule:
    return get_for_tenant(KeywordRule, tenant=tenant, pk=pk)


def token_list(*, tenant: Tenant) -> QuerySet[IngestToken]:
    return IngestToken.objects.for_tenant(tenant).select_related("source", "created_by__user").order_by("-created_at")


def token_get(*, tenant: Tenant, pk: object) -> IngestToken:
    return get_for_tenant(IngestToken, tenant=tenant, pk=pk)


def sentiment_model_list(*, tenant: Tenant) -> QuerySet[SentimentModel]:
    return (
        SentimentModel.objects.for_tenant(tenant).select_related("created_by__user").defer("data").order_by("-version")
    )


def sentiment_model_get(*, tenant: Tenant, pk: object) -> SentimentModel:
    return get_for_tenant(SentimentModel.objects.for_tenant(tenant).defer("data"), tenant=tenant, pk=pk)


def labelled_counts(*, tenant: Tenant) -> dict[str, Any]:
    """How many analyst labels a new model would learn from, by polarity."""
    rows = (
        Mention.objects.for_tenant(tenant)
        .exclude(labelled_polarity="")
        .values_list("labelled_polarity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict(rows)
    return {"by_polarity": counts, "total": sum(counts.values())}

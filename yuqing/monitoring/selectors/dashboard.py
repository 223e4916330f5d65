"""The monitoring dashboard's figures: a handful of bounded queries, whatever the data size.

Days are the tenant's calendar days. Top terms are counted in Python over the `terms` of the most
recent scored mentions (at most TERM_WINDOW of them, only that key of the explanation is read), which
stays well under 100 ms and needs no database-specific JSON functions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from yuqing.monitoring.filters import polarity_q
from yuqing.monitoring.models import Level, Mention, MentionCustomer, Polarity, RiskWarning
from yuqing.monitoring.selectors.mentions import LEVEL_COLOURS, OPEN_STATUSES, level_labels
from yuqing.tenancy.models import Tenant

DAYS = 30
TOP = 10
TERM_WINDOW = 2000

# The level colours of app.css (--level-*), for the charts.
LEVEL_HEX = {"red": "#c92a2a", "orange": "#e8590c", "yellow": "#d4a106", "blue": "#2563eb"}


@dataclass(frozen=True)
class Dashboard:
    days: int
    since: dt.datetime
    totals: dict[str, Any]
    trend: dict[str, list]
    levels: dict[str, list]
    sources: dict[str, list]
    terms: dict[str, list]
    customers: list[dict[str, Any]]


def _day_starts(tenant: Tenant, now: dt.datetime, days: int) -> tuple[list[dt.date], dt.datetime]:
    zone = ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    return [first + dt.timedelta(days=n) for n in range(days)], dt.datetime.combine(first, dt.time.min, tzinfo=zone)


def mention_trend(*, tenant: Tenant, now: dt.datetime | None = None, days: int = DAYS) -> dict[str, list]:
    """Mentions per day and the negative share of each day (one grouped query)."""
    now = now or timezone.now()
    day_list, since = _day_starts(tenant, now, days)
    negative = polarity_q(Polarity.NEGATIVE)
    rows = (
        Mention.objects.for_tenant(tenant)
        .filter(published_at__gte=since, published_at__lte=now)
        .annotate(day=TruncDate("published_at", tzinfo=ZoneInfo(tenant.time_zone)))
        .values("day")
        .annotate(total=Count("pk"), negative=Count("pk", filter=negative))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    totals, negatives, shares = [], [], []
    for day in day_list:
        row = by_day.get(day) or {"total": 0, "negative": 0}
        totals.append(row["total"])
        negatives.append(row["negative"])
        shares.append(round(100 * row["negative"] / row["total"], 1) if row["total"] else None)
    return {
        "days": [day.strftime("%m-%d") for day in day_list],
        "dates": [day.isoformat() for day in day_list],
        "mentions": totals,
        "negative": negatives,
        "negative_share": shares,
    }


def warnings_by_level(*, tenant: Tenant, since: dt.datetime, labels: dict[int, str]) -> dict[str, list]:
    """Per level: warnings still open, and warnings raised since `since` (one grouped query)."""
    rows = (
        RiskWarning.objects.for_tenant(tenant)
        .filter(Q(status__in=OPEN_STATUSES) | Q(raised_at__gte=since))
        .values("level")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            raised=Count("pk", filter=Q(raised_at__gte=since)),
        )
        .order_by()
    )
    by_level = {row["level"]: row for row in rows}
    order = [Level.RED, Level.ORANGE, Level.YELLOW, Level.BLUE]
    return {
        "levels": [int(level) for level in order],
        "labels": [labels[int(level)] for level in order],
        "colours": [LEVEL_HEX[LEVEL_COLOURS[level]] for level in order],
        "open": [by_level.get(int(level), {}).get("open", 0) for level in order],
        "raised": [by_level.get(int(level), {}).get("raised", 0) for level in order],
    }


def top_sources(*, tenant: Tenant, since: dt.datetime, limit: int = TOP) -> dict[str, list]:
    rows = (
        Mention.objects.for_tenant(tenant)
        .filter(published_at__gte=since)
        .values("source_id", "source__name")
        .annotate(total=Count("pk"), negative=Count("pk", filter=polarity_q(Polarity.NEGATIVE)))
        .order_by("-total", "source__name")[:limit]
    )
    rows = list(rows)
    return {
        "ids": [row["source_id"] for row in rows],
        "names": [row["source__name"] for row in rows],
        "counts": [row["total"] for row in rows],
        "negative": [row["negative"] for row in rows],
    }


def top_terms(*, tenant: Tenant, since: dt.datetime, limit: int = TOP * 2, window: int = TERM_WINDOW) -> dict:
    """The risk terms matched most often in the latest scored mentions (each counted once a mention)."""
    explained = (
        Mention.objects.for_tenant(tenant)
        .filter(published_at__gte=since, status=Mention.Status.SCORED)
        .order_by("-published_at", "-pk")
        .values_list("explanation__terms", flat=True)[:window]
    )
    counts: Counter[str] = Counter()
    seen = 0
    for terms in explained:
        seen += 1
        if not isinstance(terms, list):
            continue
        words = {
            item.get("term")
            for item in terms
            if isinstance(item, dict) and item.get("term") and item.get("kind") != "exclude"
        }
        counts.update(words)
    top = counts.most_common(limit)
    return {"terms": [term for term, _n in top], "counts": [n for _term, n in top], "window": seen}


def top_customers(*, tenant: Tenant, since: dt.datetime, limit: int = TOP) -> list[dict[str, Any]]:
    rows = (
        MentionCustomer.objects.for_tenant(tenant)
        .filter(mention__published_at__gte=since)
        .values("customer_id", "customer__name", "customer__tier")
        .annotate(total=Count("pk"))
        .order_by("-total", "customer__name")[:limit]
    )
    return [
        {"id": row["customer_id"], "name": row["customer__name"], "tier": row["customer__tier"], "count": row["total"]}
        for row in rows
    ]


def monitoring_dashboard(*, tenant: Tenant, now: dt.datetime | None = None, days: int = DAYS) -> Dashboard:
    """Everything the dashboard draws: eight queries."""
    now = now or timezone.now()
    _day_list, since = _day_starts(tenant, now, days)
    labels = level_labels(tenant=tenant)
    trend = mention_trend(tenant=tenant, now=now, days=days)
    levels = warnings_by_level(tenant=tenant, since=since, labels=labels)
    mentions = sum(trend["mentions"])
    negative = sum(trend["negative"])
    pending = Mention.objects.for_tenant(tenant).filter(status=Mention.Status.PENDING).count()
    return Dashboard(
        days=days,
        since=since,
        totals={
            "mentions": mentions,
            "negative": negative,
            "negative_share": round(100 * negative / mentions, 1) if mentions else 0,
            "open_warnings": sum(levels["open"]),
            "open_incident_level": sum(levels["open"][:2]),
            "pending": pending,
        },
        trend=trend,
        levels=levels,
        sources=top_sources(tenant=tenant, since=since),
        terms=top_terms(tenant=tenant, since=since),
        customers=top_customers(tenant=tenant, since=since),
    )

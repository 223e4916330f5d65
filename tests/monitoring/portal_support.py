"""Helpers of the monitoring portal tests: mention, story and warning rows made directly (the portal
reads what ingestion, scoring and warnings leave; it does not need them to run)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from django.http import HttpResponse
from django.utils import timezone

from customers.models import Customer
from yuqing.monitoring.models import Level, Mention, MentionCustomer, Polarity, RiskWarning, Source, Story
from yuqing.tenancy.models import Tenant

_numbers = itertools.count(1)


def html(response: HttpResponse) -> str:
    return response.content.decode()


def source(tenant: Tenant, name: str = "新浪微博", kind: str = Source.Kind.WEIBO, **fields: object) -> Source:
    found = Source.objects.for_tenant(tenant).filter(name=name).first()
    return found or Source.objects.create(tenant=tenant, name=name, kind=kind, **fields)


def explanation(score: int, level: int | None, terms: list[str] = ("逾期",), customers: list[Customer] = ()) -> dict:
    return {
        "score": score,
        "level": level,
        "factors": [
            {"key": "keywords", "label": "关键词", "points": score * 0.5, "share": 0.5},
            {"key": "sentiment", "label": "情感", "points": score * 0.3, "share": 0.3},
            {"key": "reach", "label": "传播量", "points": score * 0.2, "share": 0.2},
        ],
        "terms": [
            {"term": term, "kind": "sensitive", "category": "违约", "weight": 20, "where": "body"} for term in terms
        ],
        "customers": [{"id": c.pk, "name": c.name, "tier": c.tier, "matched": c.name} for c in customers],
        "sentiment": 0.08,
        "model": "default",
        "velocity_per_hour": 3,
        "reach": {"interactions": 120, "followers": 5000},
        "excluded": False,
    }


def mention(
    tenant: Tenant,
    *,
    source_row: Source | None = None,
    title: str = "",
    body: str | None = None,
    score: int | None = 60,
    level: int | None = Level.YELLOW,
    polarity: str = Polarity.NEGATIVE,
    terms: list[str] = ("逾期",),
    customers: list[Customer] = (),
    published_at: dt.datetime | None = None,
    author_display: str = "张*",
    story: Story | None = None,
    status: str = Mention.Status.SCORED,
) -> Mention:
    number = next(_numbers)
    body = body if body is not None else f"第{number}条：网友反映项目逾期，{uuid.uuid4().hex[:8]}"
    when = published_at or timezone.now() - dt.timedelta(minutes=number)
    row = Mention.objects.create(
        tenant=tenant,
        source=source_row or source(tenant),
        external_id=f"ext-{number}",
        url=f"https://weibo.example.com/{number}",
        title=title,
        body=body,
        author_hash=uuid.uuid4().hex,
        author_display=author_display,
        published_at=when,
        retrieved_at=when,
        via=Mention.Via.API,
        content_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        status=status,
        score=score if status == Mention.Status.SCORED else None,
        level=level if status == Mention.Status.SCORED else None,
        sentiment=0.08,
        polarity=polarity if status == Mention.Status.SCORED else "",
        explanation=explanation(score or 0, level, list(terms), list(customers))
        if status == Mention.Status.SCORED
        else {},
        scored_at=when if status == Mention.Status.SCORED else None,
        story=story,
        views=1000,
        likes=12,
    )
    for customer in customers:
        MentionCustomer.objects.create(tenant=tenant, mention=row, customer=customer, matched=customer.name)
    return row


def warning(tenant: Tenant, *, title: str = "项目逾期话题", level: int = Level.ORANGE, score: int = 75) -> RiskWarning:
    now = timezone.now()
    story = Story.objects.create(
        tenant=tenant, title=title, first_seen_at=now, last_seen_at=now, mention_count=2, top_score=score
    )
    trigger = mention(tenant, score=score, level=level, story=story)
    mention(tenant, score=score - 10, level=level, story=story)
    queue = RiskWarning.Queue.INCIDENT if level <= Level.ORANGE else RiskWarning.Queue.CUSTOMER_SERVICE
    return RiskWarning.objects.create(
        tenant=tenant,
        story=story,
        level=level,
        peak_level=level,
        score=score,
        queue=queue,
        trigger=trigger,
        raised_at=now,
        updated_at=now,
    )

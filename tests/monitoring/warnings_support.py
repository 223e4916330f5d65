"""Helpers of the warnings tests: scored mention rows made directly (not through scoring), members, a
recorder standing in for yuqing.notify's notify_channels."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.incidents.factories import member
from yuqing.monitoring.models import Mention, MentionCustomer, Source, WarningPolicy
from yuqing.tenancy.models import Department, Membership, Role, Tenant

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
_numbers = itertools.count(1)


def source_of(tenant: Tenant, kind: str = Source.Kind.WEIBO) -> Source:
    source, _created = Source.objects.for_tenant(tenant).get_or_create(
        tenant=tenant, name=f"来源-{kind}", defaults={"kind": kind}
    )
    return source


def customer(tenant: Tenant, name: str) -> Customer:
    return CustomerFactory(tenant=tenant, name=name)


def level_for(tenant: Tenant, score: int) -> int | None:
    policy = WarningPolicy.objects.for_tenant(tenant).first() or WarningPolicy(tenant=tenant)
    return policy.level_for(score)


def scored(
    tenant: Tenant,
    *,
    body: str | None = None,
    title: str = "",
    score: int = 60,
    level: int | str | None = "auto",
    terms: list[tuple[str, str]] = (("逾期", "违约"),),
    customers: list[Customer] = (),
    published_at: dt.datetime | None = None,
    source: Source | None = None,
    views: int = 0,
    excluded: bool = False,
) -> Mention:
    """A scored mention row with its explanation and customer links, as scoring leaves it."""
    number = next(_numbers)
    body = body if body is not None else f"第{number}条：网友反映{number}号项目的情况，内容各不相同{uuid.uuid4().hex}"
    when = published_at or timezone.now()
    level = level_for(tenant, score) if level == "auto" else level
    mention = Mention.objects.create(
        tenant=tenant,
        source=source or source_of(tenant),
        external_id=f"ext-{number}",
        title=title,
        body=body,
        published_at=when,
        retrieved_at=when,
        via=Mention.Via.API,
        content_hash=uuid.uuid4().hex,
        views=views,
        status=Mention.Status.SCORED,
        score=score,
        level=level,
        scored_at=timezone.now(),
        explanation={
            "score": score,
            "level": level,
            "factors": [],
            "terms": [
                {"term": term, "kind": "sensitive", "category": category, "weight": 20, "where": "body"}
                for term, category in terms
            ],
            "customers": [{"id": c.pk, "name": c.name, "tier": "standard", "matched": c.name} for c in customers],
            "excluded": excluded,
        },
    )
    MentionCustomer.objects.bulk_create(
        [MentionCustomer(tenant=tenant, mention=mention, customer=c, matched=c.name) for c in customers]
    )
    return mention


def cs_member(tenant: Tenant, username: str, role: str = Role.HANDLER) -> Membership:
    return member(tenant, username, role, Department.Kind.CUSTOMER_SERVICE)


def duty_member(tenant: Tenant, username: str, role: str = Role.MANAGER) -> Membership:
    return member(tenant, username, role, Department.Kind.MANAGEMENT)


@dataclass
class ChannelCalls:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> list:
        self.calls.append(kwargs)
        return []

    def for_level(self, level: int) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["level"] == level]


@pytest.fixture(name="channel_calls")
def channel_calls_fixture(monkeypatch) -> ChannelCalls:
    """Record notify_channels calls instead of queueing deliveries."""
    recorder = ChannelCalls()
    monkeypatch.setattr("yuqing.notify.services.notify_channels", recorder, raising=False)
    return recorder


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)

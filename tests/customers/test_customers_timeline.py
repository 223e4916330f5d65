"""One timeline per customer: tier changes and feedback, plus sources that higher layers register."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.selectors.timeline import (
    TimelineEntry,
    customer_timeline,
    register_timeline_source,
    unregister_timeline_source,
)
from tests.customers.factories import CustomerFactory, FeedbackFactory, TierChangeFactory


@pytest.fixture
def incident_source():
    now = timezone.now()

    def incidents(*, tenant, customer, limit):
        return [TimelineEntry(at=now - dt.timedelta(days=1), kind="incident", title="舆情事件：项目停工传闻")]

    register_timeline_source(incidents)
    register_timeline_source(incidents)  # registering twice adds it once
    yield incidents
    unregister_timeline_source(incidents)


def test_the_timeline_merges_every_source_newest_first(tenant_a, incident_source):
    customer = CustomerFactory(tenant=tenant_a)
    now = timezone.now()
    FeedbackFactory(tenant=tenant_a, customer=customer, subject="旧投诉", received_at=now - dt.timedelta(days=9))
    FeedbackFactory(tenant=tenant_a, customer=customer, subject="新投诉", received_at=now - dt.timedelta(hours=1))
    TierChangeFactory(customer=customer, reason="符合规则")
    FeedbackFactory(tenant=tenant_a, customer=CustomerFactory(tenant=tenant_a), subject="别人的投诉")
    entries = customer_timeline(tenant=tenant_a, customer=customer)
    assert [entry.kind for entry in entries] == ["tier_change", "feedback", "incident", "feedback"]
    assert [entry.title for entry in entries if entry.kind == "feedback"] == ["投诉：新投诉", "投诉：旧投诉"]
    assert entries[1].url == reverse("customers:feedback-detail", args=[entries[1].url.rstrip("/").split("/")[-1]])


def test_the_timeline_keeps_the_newest_entries_up_to_its_limit(tenant_a):
    customer = CustomerFactory(tenant=tenant_a)
    now = timezone.now()
    for days in range(6):
        FeedbackFactory(
            tenant=tenant_a, customer=customer, subject=f"第{days}天", received_at=now - dt.timedelta(days=days)
        )
    entries = customer_timeline(tenant=tenant_a, customer=customer, limit=3)
    assert [entry.title for entry in entries] == ["投诉：第0天", "投诉：第1天", "投诉：第2天"]


def test_registered_entries_show_on_the_detail_page(client_a, tenant_a, incident_source):
    customer = CustomerFactory(tenant=tenant_a)
    body = client_a.get(reverse("customers:customer-detail", args=[customer.pk])).content.decode()
    assert "舆情事件：项目停工传闻" in body

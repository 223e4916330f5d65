"""The demo feedback: every status, overdue and due-soon items, extensions, escalations; safe to run twice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from customers.demo import DEMO_ITEMS, seed_feedback
from customers.models import Customer, Feedback
from customers.selectors.feedback import feedback_due_soon, feedback_overdue


# An ordinary week (no holiday within reach), so "due soon" does not depend on the day the suite runs.
@time_machine.travel(dt.datetime(2025, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_demo_covers_every_case_and_is_idempotent(tenant_a, admin_a, handler_a, viewer_a):
    customers = [Customer.objects.create(tenant=tenant_a, kind="enterprise", name=f"演示客户{n}") for n in range(5)]
    members = [admin_a, handler_a, viewer_a]
    assert seed_feedback(tenant=tenant_a, customers=customers, members=members) == len(DEMO_ITEMS)

    items = list(Feedback.objects.for_tenant(tenant_a))
    assert {item.status for item in items} == set(Feedback.Status.values)
    now = timezone.now()
    assert feedback_overdue(tenant=tenant_a, now=now).count() >= 2
    assert feedback_due_soon(tenant=tenant_a, now=now, within=dt.timedelta(days=3)).exists()
    assert {item.extension_level for item in items} >= {0, 1, 2}
    assert all(item.extension_approved_by == admin_a.user for item in items if item.extension_level == 2)
    assert any(item.customer is None and item.reporter_name for item in items)
    assert all(item.due_at for item in items)
    assert viewer_a not in {item.handler for item in items}

    assert seed_feedback(tenant=tenant_a, customers=customers, members=members) == 0
    assert Feedback.objects.for_tenant(tenant_a).count() == len(DEMO_ITEMS)

"""Feedback reads: overdue and due-soon lists, dashboard counts, the list's filters."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Feedback, Tier
from customers.selectors import feedback as selectors
from tests.customers.factories import ComplaintPolicyFactory, FeedbackFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 10, 10, 12, 0, tzinfo=SH)
S = Feedback.Status


@pytest.fixture
def items(tenant_a, tenant_b) -> dict[str, Feedback]:
    policy = ComplaintPolicyFactory(tenant=tenant_a, is_default=True, due_soon_days=3)

    def make(name: str, status: str, due: dt.datetime | None, tenant=tenant_a) -> Feedback:
        return FeedbackFactory(
            tenant=tenant,
            subject=name,
            status=status,
            due_at=due,
            received_at=NOW - dt.timedelta(days=10),
            policy=policy if tenant == tenant_a else ComplaintPolicyFactory(tenant=tenant),
        )

    return {
        "overdue_yesterday": make("overdue_yesterday", S.RECEIVED, NOW - dt.timedelta(days=1, hours=12)),
        "due_right_now": make("due_right_now", S.IN_PROGRESS, NOW),
        "due_in_an_hour": make("due_in_an_hour", S.ACKNOWLEDGED, NOW + dt.timedelta(hours=1)),
        "due_in_three_days": make("due_in_three_days", S.RECEIVED, NOW + dt.timedelta(days=3)),
        "due_later": make("due_later", S.RECEIVED, NOW + dt.timedelta(days=3, minutes=1)),
        "resolved_late": make("resolved_late", S.RESOLVED, NOW - dt.timedelta(days=2)),
        "closed": make("closed", S.CLOSED, NOW - dt.timedelta(days=2)),
        "escalated": make("escalated", S.ESCALATED, NOW - dt.timedelta(days=2)),
        "no_due_time": make("no_due_time", S.RECEIVED, None),
        "other_tenant": make("other_tenant", S.RECEIVED, NOW - dt.timedelta(days=5), tenant=tenant_b),
    }


def names(queryset) -> list[str]:
    return [item.subject for item in queryset]


def test_overdue_lists_exactly_the_open_items_past_their_due_time(tenant_a, items):
    with time_machine.travel(NOW, tick=False):
        assert names(selectors.feedback_overdue(tenant=tenant_a, now=NOW)) == ["overdue_yesterday", "due_right_now"]


def test_due_soon_lists_exactly_the_open_items_due_within_the_window(tenant_a, items):
    result = selectors.feedback_due_soon(tenant=tenant_a, now=NOW, within=dt.timedelta(days=3))
    assert names(result) == ["due_in_an_hour", "due_in_three_days"]


def test_the_lists_move_with_the_clock(tenant_a, items):
    later = NOW + dt.timedelta(hours=2)
    assert names(selectors.feedback_overdue(tenant=tenant_a, now=later)) == [
        "overdue_yesterday",
        "due_right_now",
        "due_in_an_hour",
    ]
    assert names(selectors.feedback_due_soon(tenant=tenant_a, now=later, within=dt.timedelta(days=3))) == [
        "due_in_three_days",
        "due_later",
    ]


def test_each_list_is_one_query(tenant_a, items, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(selectors.feedback_overdue(tenant=tenant_a, now=NOW))
    with django_assert_num_queries(1):
        list(selectors.feedback_due_soon(tenant=tenant_a, now=NOW, within=dt.timedelta(days=3)))


@pytest.mark.postgres
def test_the_overdue_and_due_soon_queries_use_the_open_due_index(tenant_a, items):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # A tenant's history is mostly closed items; with statistics the planner must pick the index.
    policy = items["due_later"].policy
    Feedback.objects.bulk_create(
        Feedback(
            tenant=tenant_a,
            policy=policy,
            subject="历史",
            content="x",
            channel="phone",
            status=S.CLOSED,
            received_at=NOW - dt.timedelta(days=400),
            due_at=NOW - dt.timedelta(days=385 - n % 300),
        )
        for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_feedback")
        for queryset in (
            selectors.feedback_overdue(tenant=tenant_a, now=NOW),
            selectors.feedback_due_soon(tenant=tenant_a, now=NOW, within=dt.timedelta(days=3)),
        ):
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "feedback_open_due_idx" in plan, plan


def test_dashboard_counts(tenant_a, items, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = selectors.feedback_counts(tenant=tenant_a, now=NOW, within=dt.timedelta(days=3))
    assert counts == {"open": 6, "overdue": 2, "due_soon": 2}


def test_the_due_soon_window_is_the_default_policys(tenant_a, items):
    assert selectors.due_soon_window(tenant=tenant_a) == dt.timedelta(days=3)


def _filtered(tenant, **filters) -> list[str]:
    filterset = selectors.feedback_list(tenant=tenant, filters=filters, now=NOW)
    assert filterset.is_valid(), filterset.errors
    return sorted(names(filterset.qs))


def test_the_quick_filters_match_the_selectors(tenant_a, items):
    assert _filtered(tenant_a, overdue="yes") == ["due_right_now", "overdue_yesterday"]
    assert _filtered(tenant_a, due_soon="yes") == ["due_in_an_hour", "due_in_three_days"]
    assert _filtered(tenant_a, status="open") == sorted(
        ["overdue_yesterday", "due_right_now", "due_in_an_hour", "due_in_three_days", "due_later", "no_due_time"]
    )
    assert "overdue_yesterday" not in _filtered(tenant_a, overdue="no")
    assert "resolved_late" in _filtered(tenant_a, overdue="no")
    assert _filtered(tenant_a, status="escalated") == ["escalated"]


def test_the_field_filters(tenant_a, handler_a, items):
    vip = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="华信集团", tier=Tier.VIP)
    standard = Customer.objects.create(tenant=tenant_a, kind="individual", name="张三")
    policy = items["due_later"].policy
    FeedbackFactory(
        tenant=tenant_a,
        policy=policy,
        customer=vip,
        subject="利率与合同不一致",
        content="多收服务费",
        kind=Feedback.Kind.INQUIRY,
        channel=Feedback.Channel.EMAIL,
        category=Feedback.Category.PRICING,
        handler=handler_a,
        received_at=dt.datetime(2025, 9, 1, 10, tzinfo=SH),
    )
    FeedbackFactory(
        tenant=tenant_a,
        policy=policy,
        customer=standard,
        subject="催收电话骚扰",
        content="一天十几个电话",
        channel=Feedback.Channel.SOCIAL_MEDIA,
        category=Feedback.Category.COLLECTION,
        received_at=dt.datetime(2025, 9, 2, 23, 30, tzinfo=SH),
    )
    assert _filtered(tenant_a, tier="vip") == ["利率与合同不一致"]
    assert _filtered(tenant_a, kind="inquiry") == ["利率与合同不一致"]
    assert _filtered(tenant_a, channel="social_media") == ["催收电话骚扰"]
    assert _filtered(tenant_a, category="pricing") == ["利率与合同不一致"]
    assert _filtered(tenant_a, handler=str(handler_a.pk)) == ["利率与合同不一致"]
    # Text over subject, content and the customer's name.
    assert _filtered(tenant_a, q="骚扰") == ["催收电话骚扰"]
    assert _filtered(tenant_a, q="服务费") == ["利率与合同不一致"]
    assert _filtered(tenant_a, q="华信") == ["利率与合同不一致"]
    # Receipt dates are the tenant's local dates: 09-02 23:30 in Shanghai is 09-02.
    assert _filtered(tenant_a, received_from="2025-09-02", received_to="2025-09-02") == ["催收电话骚扰"]
    assert _filtered(tenant_a, received_to="2025-09-01") == ["利率与合同不一致"]


def test_the_handler_choices_are_the_tenants_writers_only(tenant_a, handler_a, viewer_a, admin_a, admin_b):
    filterset = selectors.feedback_list(tenant=tenant_a, filters={"handler": str(admin_b.pk)}, now=NOW)
    choices = set(filterset.form.fields["handler"].queryset)
    assert choices == {handler_a, admin_a}
    assert not filterset.is_valid() and "handler" in filterset.errors


def test_the_list_query_count_does_not_grow_with_the_items(tenant_a, handler_a, items):
    def run() -> int:
        with CaptureQueriesContext(connection) as queries:
            for item in selectors.feedback_list(tenant=tenant_a, filters={}, now=NOW).qs:
                _ = (item.customer, item.handler and item.handler.user, item.policy)
        return len(queries)

    before = run()
    customer = Customer.objects.create(tenant=tenant_a, kind="enterprise", name="华信建设")
    for _ in range(15):
        FeedbackFactory(tenant=tenant_a, customer=customer, handler=handler_a, policy=items["due_later"].policy)
    assert run() == before


def test_due_state_texts(tenant_a, items):
    def state(name: str):
        return selectors.due_state(items[name], now=NOW, within=dt.timedelta(days=3), time_zone="Asia/Shanghai")

    assert (state("overdue_yesterday").remaining, state("overdue_yesterday").css) == ("已逾期 1 天", "danger")
    assert state("due_right_now").remaining == "已逾期 1 小时"
    assert (state("due_in_an_hour").remaining, state("due_in_an_hour").css) == ("剩余 1 小时", "warning")
    assert (state("due_in_three_days").remaining, state("due_in_three_days").css) == ("剩余 3 天", "warning")
    assert (state("due_later").remaining, state("due_later").css) == ("剩余 3 天", "")
    assert state("escalated").remaining == "已升级"
    assert state("no_due_time") is None


def test_a_day_clock_is_shown_as_24_00_of_its_last_day():
    assert selectors.due_label(dt.datetime(2025, 10, 16, 0, 0, tzinfo=SH), "Asia/Shanghai") == "2025-10-15 24:00"
    assert selectors.due_label(dt.datetime(2025, 10, 16, 9, 30, tzinfo=SH), "Asia/Shanghai") == "2025-10-16 09:30"

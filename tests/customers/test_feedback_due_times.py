"""Due times computed by feedback_register on the tenant's calendar, checked against dates worked out by hand.

Calendar facts used (DOMAIN.md, State Council schedules): 2025 National Day off 10-01..10-08, make-up
working days Sun 09-28 and Sat 10-11; 2026 Spring Festival off 02-15..02-23, make-up working days
Sat 02-14 and Sat 02-28. A day clock ends at 24:00 of its last day, stored as 00:00 of the next day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import ComplaintPolicy, Feedback
from customers.services.feedback import feedback_register
from customers.services.policies import complaint_policies_ensure
from yuqing.workcalendar.models import CalendarOverride

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def policies(tenant_a) -> dict[str, ComplaintPolicy]:
    complaint_policies_ensure(tenant=tenant_a)
    return {p.template_code: p for p in ComplaintPolicy.objects.for_tenant(tenant_a)}


def register(tenant, actor, received: str, policy: ComplaintPolicy | None = None, **extra) -> Feedback:
    with time_machine.travel(at(received) + dt.timedelta(minutes=5), tick=False):
        return feedback_register(
            tenant=tenant,
            actor=actor,
            channel=Feedback.Channel.PHONE,
            subject="放款进度慢",
            content="审批通过一个月仍未放款。",
            received_at=at(received),
            reporter_name="李先生",
            policy=policy,
            **extra,
        )


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        # Day 1 is 10-01 (the receipt day is not counted); day 15 is Wed 10-15, a working day.
        ("2025-09-30 10:00", "2025-10-16 00:00", "received the day before National Day"),
        # Day 15 is Tue 10-07, inside the break; 10-08 is still off, so the period ends on Thu 10-09.
        ("2025-09-22 09:00", "2025-10-10 00:00", "last day inside the National Day break"),
        # Received inside the break: the calendar clock runs through it. Day 15 is Sat 10-18, a rest day → Mon 10-20.
        ("2025-10-03 15:00", "2025-10-21 00:00", "received during National Day, last day a Saturday"),
        # Day 15 is Mon 02-16, inside the Spring Festival break (02-15..02-23) → Tue 02-24.
        ("2026-02-01 11:00", "2026-02-25 00:00", "last day inside the Spring Festival break"),
        # Received during the festival: day 15 is Wed 03-04, a working day.
        ("2026-02-17 10:00", "2026-03-05 00:00", "received during the Spring Festival"),
        # Friday evening: day 1 is Sat 11-15, day 15 is Sat 11-29 → Mon 12-01.
        ("2025-11-14 21:30", "2025-12-02 00:00", "received on a Friday evening"),
    ],
)
def test_a_complaint_is_due_15_calendar_days_after_receipt_rolled_to_a_working_day(
    tenant_a, handler_a, policies, received, due, why
):
    feedback = register(tenant_a, handler_a.user, received)
    assert feedback.policy == policies["cbirc_2020_3"]
    assert feedback.due_at == at(due), why


@pytest.mark.parametrize(
    ("template", "received", "due", "why"),
    [
        # 15 working days from Fri 09-26: Sun 09-28 (make-up) 1, 09-29 2, 09-30 3, 10-09 4, 10-10 5,
        # Sat 10-11 (make-up) 6, 10-13..10-17 7–11, 10-20..10-23 12–15.
        ("cbrc_2012", "2025-09-26 16:00", "2025-10-24 00:00", "working days around make-up Sun 09-28 and Sat 10-11"),
        # Friday evening, 15 working days: 11-17..11-21, 11-24..11-28, 12-01..12-05.
        ("cbrc_2012", "2025-11-14 21:30", "2025-12-06 00:00", "working days from a Friday evening"),
        # 7 working days from Thu 02-12: Fri 02-13 1, Sat 02-14 (make-up) 2, 02-24..02-27 3–6, Sat 02-28 (make-up) 7.
        ("consumer_law_46", "2026-02-12 09:00", "2026-03-01 00:00", "ends on the make-up Saturday 02-28"),
    ],
)
def test_working_day_policies_count_make_up_days_and_skip_holidays(
    tenant_a, handler_a, policies, template, received, due, why
):
    feedback = register(tenant_a, handler_a.user, received, policy=policies[template])
    assert feedback.due_at == at(due), why


def test_the_tenants_own_calendar_decides_which_days_are_off(tenant_a, handler_a, policies):
    # The office is closed on Wed 2025-10-15 (a tenant override): day 15 of a 09-30 complaint rolls to Thu 10-16.
    CalendarOverride.objects.create(tenant=tenant_a, date=dt.date(2025, 10, 15), kind="day_off", note="网点停业")
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    assert feedback.due_at == at("2025-10-17 00:00")


def test_feedback_and_inquiries_get_a_due_time_from_the_same_policy(tenant_a, handler_a, policies):
    inquiry = register(tenant_a, handler_a.user, "2025-09-30 10:00", kind=Feedback.Kind.INQUIRY)
    assert inquiry.due_at == at("2025-10-16 00:00")


def test_a_tenant_without_policies_gets_the_shipped_ones_on_its_first_item(tenant_a, handler_a):
    feedback = register(tenant_a, handler_a.user, "2025-09-30 10:00")
    assert feedback.policy.template_code == "cbirc_2020_3"
    assert ComplaintPolicy.objects.for_tenant(tenant_a).count() == 3

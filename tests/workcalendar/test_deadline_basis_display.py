"""Deadlines that rest on computed holidays or a Monday–Friday guess say so on every page that shows them.

The basis is stored with the deadline (SlaClock.calendar_basis, Feedback.due_basis), so lists show
the note from their own query: the number of queries does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import ComplaintPolicy, Feedback
from customers.services.feedback import feedback_register
from customers.services.policies import complaint_policies_ensure
from incidents.models import Severity, SlaClock
from incidents.services.sla import sla_recompute
from tests.incidents.factories import open_incident
from yuqing.workcalendar.services import holiday_notice_load

SH = ZoneInfo("Asia/Shanghai")
NOTICE_2027 = (
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。2月20日（周六）上班。\n"
)
COMPUTED_NOTE, GUESSED_NOTE = "含推算节假日", "按周一至周五推算"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def open_at(tenant, actor, moment: dt.datetime, severity: int = Severity.II):
    with time_machine.travel(moment, tick=False):
        return open_incident(tenant, actor, severity=severity)


def pages(client_for, member, moment: dt.datetime, *urls: str) -> list[str]:
    """The pages as `member` sees them at `moment` (signed in then: a session never outlives its age)."""
    with time_machine.travel(moment, tick=False):
        client = client_for(member)
        return [client.get(url).content.decode() for url in urls]


def clocks_of(incident) -> dict[str, SlaClock]:
    return {c.kind: c for c in SlaClock.objects.for_tenant(incident.tenant).filter(incident=incident)}


def test_a_clock_running_into_2027_stores_that_its_holidays_were_computed(tenant_a, admin_a):
    incident = open_at(tenant_a, admin_a.user, at(2026, 12, 30, 10))  # 3 working days
    clocks = clocks_of(incident)
    assert clocks["resolution"].deadline_at == at(2027, 1, 6)  # 12-31, (01-01 computed 元旦), 01-04, 01-05
    assert clocks["resolution"].calendar_basis == "computed"
    assert clocks["first_response"].calendar_basis == ""  # 7×24: asks no calendar


def test_a_clock_inside_2026_says_nothing(tenant_a, admin_a):
    incident = open_at(tenant_a, admin_a.user, at(2026, 3, 2, 10))
    assert {c.calendar_basis for c in clocks_of(incident).values()} == {""}


def test_the_incident_page_list_and_board_show_the_note_with_a_tooltip(client_for, tenant_a, admin_a):
    incident = open_at(tenant_a, admin_a.user, at(2026, 12, 30, 10))
    urls = [
        reverse("incidents:incident-detail", args=[incident.pk]),
        reverse("incidents:incident-list"),
        reverse("incidents:incident-board"),
    ]
    for page in pages(client_for, admin_a, at(2026, 12, 30, 11), *urls):
        assert COMPUTED_NOTE in page
        assert 'data-basis="computed" title="所涉年份尚未导入国务院放假通知' in page


def test_loading_the_notice_and_recomputing_removes_the_note(client_for, tenant_a, admin_a):
    incident = open_at(tenant_a, admin_a.user, at(2026, 12, 30, 10))
    with time_machine.travel(at(2026, 12, 30, 11), tick=False):
        holiday_notice_load(tenant=tenant_a, actor=admin_a.user, year=2027, text=NOTICE_2027)
        sla_recompute(tenant=tenant_a, incident=incident, actor=admin_a.user)
    (listing,) = pages(client_for, admin_a, at(2026, 12, 30, 11), reverse("incidents:incident-list"))
    resolution = clocks_of(incident)["resolution"]
    assert resolution.deadline_at == at(2027, 1, 6)  # the same days as computed: 12-31, 01-04, 01-05
    assert resolution.calendar_basis == ""
    assert COMPUTED_NOTE not in listing


def test_a_guessed_deadline_is_shown_as_guessed(client_for, tenant_a, admin_a):
    incident = open_at(tenant_a, admin_a.user, at(2026, 12, 30, 10))
    SlaClock.objects.for_tenant(tenant_a).filter(incident=incident, kind="resolution").update(calendar_basis="fallback")
    (listing,) = pages(client_for, admin_a, at(2026, 12, 30, 11), reverse("incidents:incident-list"))
    assert GUESSED_NOTE in listing and COMPUTED_NOTE not in listing


def test_the_incident_list_costs_the_same_queries_for_one_row_or_many(
    client_for, tenant_a, admin_a, django_assert_max_num_queries
):
    url = reverse("incidents:incident-list")
    open_at(tenant_a, admin_a.user, at(2026, 12, 30, 10))
    with time_machine.travel(at(2026, 12, 30, 11), tick=False):
        client = client_for(admin_a)
        client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for hour in range(4):
            open_at(tenant_a, admin_a.user, at(2026, 12, 29, 9 + hour))
        with django_assert_max_num_queries(len(one)):
            page = client.get(url).content.decode()
    assert page.count('data-basis="computed"') == 5


@pytest.fixture
def policies(tenant_a) -> dict[str, ComplaintPolicy]:
    complaint_policies_ensure(tenant=tenant_a)
    return {p.template_code: p for p in ComplaintPolicy.objects.for_tenant(tenant_a)}


def register(tenant, actor, received: dt.datetime) -> Feedback:
    with time_machine.travel(received + dt.timedelta(minutes=5), tick=False):
        return feedback_register(
            tenant=tenant,
            actor=actor,
            channel=Feedback.Channel.PHONE,
            subject="放款进度慢",
            content="审批通过一个月仍未放款。",
            received_at=received,
            reporter_name="李先生",
        )


def test_a_complaint_due_in_2027_says_its_holidays_were_computed_on_list_and_detail(
    client_for, tenant_a, handler_a, policies
):
    feedback = register(tenant_a, handler_a.user, at(2026, 12, 20, 10))
    feedback.refresh_from_db()
    assert feedback.due_basis == "computed"
    within_2026 = register(tenant_a, handler_a.user, at(2026, 3, 2, 10))
    within_2026.refresh_from_db()
    assert within_2026.due_basis == ""
    listing, detail, plain = pages(
        client_for,
        handler_a,
        at(2026, 12, 21, 10),
        reverse("customers:feedback-list"),
        reverse("customers:feedback-detail", args=[feedback.pk]),
        reverse("customers:feedback-detail", args=[within_2026.pk]),
    )
    assert listing.count('data-basis="computed"') == 1
    assert COMPUTED_NOTE in detail and 'data-basis-note="computed"' in detail
    assert COMPUTED_NOTE not in plain


def test_the_notice_fixture_file_is_the_2026_schedule():
    # Guards the fixture used by the parser tests: the text is the standard wording, seven items.
    text = (Path(__file__).parent / "fixtures" / "notice_2026.txt").read_text(encoding="utf-8")
    assert text.count("放假") >= 7 and "国务院办公厅关于2026年部分节假日安排的通知" in text

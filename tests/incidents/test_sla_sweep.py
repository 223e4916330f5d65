"""The SLA sweep: each warning and breach recorded once, escalated to the right people, cheaply."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_rq.cron import DjangoCronScheduler

from incidents.jobs import sla_sweep_job
from incidents.models import Phase, Severity, SlaClock, SlaEvent, TimelineEntry
from incidents.services.incidents import incident_update
from incidents.services.sla import sla_pause, sla_sweep
from incidents.services.tasks import task_create
from tests.factories import MembershipFactory, UserFactory
from tests.incidents.factories import advance_to, department_of, member, open_incident
from yuqing.audit.models import AuditEvent
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Department, Role

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
Kind = Department.Kind


@pytest.fixture
def people(tenant_a):
    inactive = MembershipFactory(
        tenant=tenant_a,
        user=UserFactory(username="former_pr_head"),
        role=Role.MANAGER,
        department=department_of(tenant_a, Kind.PR),
        is_active=False,
    )
    return SimpleNamespace(
        owner=member(tenant_a, "owner", Role.HANDLER, Kind.CUSTOMER_SERVICE),
        assignee=member(tenant_a, "legal_staff", Role.HANDLER, Kind.LEGAL),
        pr_head=member(tenant_a, "pr_head", Role.MANAGER, Kind.PR),
        legal_head=member(tenant_a, "legal_head", Role.MANAGER, Kind.LEGAL),
        risk_head=member(tenant_a, "risk_head", Role.MANAGER, Kind.RISK),
        duty=member(tenant_a, "duty", Role.MANAGER, Kind.MANAGEMENT),
        chief=member(tenant_a, "chief", Role.ADMIN, Kind.MANAGEMENT),
        clerk=member(tenant_a, "clerk", Role.HANDLER, Kind.MANAGEMENT),
        inactive=inactive,
    )


def open_case(tenant, people, *, severity=Severity.I, at=T0, task=True):
    """A case owned by `owner`, involving PR, with a legal task assigned to `assignee`."""
    with time_machine.travel(at, tick=False):
        incident = open_incident(
            tenant,
            people.duty.user,
            severity=severity,
            owner=people.owner,
            departments=[department_of(tenant, Kind.PR)],
        )
        if task:
            task_create(
                tenant=tenant,
                actor=people.duty.user,
                incident=incident,
                department=department_of(tenant, Kind.LEGAL),
                assignee=people.assignee,
                title="出具法律意见",
            )
    return incident


def sla_notes(tenant, kind=None):
    notes = Notification.objects.for_tenant(tenant).filter(
        kind__in=[Notification.Kind.SLA_WARNING, Notification.Kind.SLA_BREACH, Notification.Kind.ESCALATION]
    )
    return notes.filter(kind=kind) if kind else notes


def recipients(tenant, kind=None) -> set[str]:
    return set(sla_notes(tenant, kind).values_list("recipient__user__username", flat=True))


def first_response(incident) -> SlaClock:
    return SlaClock.objects.for_tenant(incident.tenant).get(incident=incident, kind=SlaClock.Kind.FIRST_RESPONSE)


def test_a_warning_is_recorded_once_and_tells_the_owner_and_the_assignees(tenant_a, people) -> None:
    incident = open_case(tenant_a, people)  # first response 30 min, warning at 24 min
    assert sla_sweep(now=T0 + dt.timedelta(minutes=23)).warnings == 0

    result = sla_sweep(now=T0 + dt.timedelta(minutes=25))
    again = sla_sweep(now=T0 + dt.timedelta(minutes=26))

    assert (result.warnings, result.breaches, again.warnings) == (1, 0, 0)
    clock = first_response(incident)
    event = SlaEvent.objects.for_tenant(tenant_a).get()
    assert (event.clock, event.kind, event.deadline_at) == (clock, "warning", T0 + dt.timedelta(minutes=30))
    assert clock.warned_for == clock.deadline_at
    assert clock.state == SlaClock.State.RUNNING
    assert recipients(tenant_a) == {"owner", "legal_staff"}
    assert sla_notes(tenant_a).count() == 2
    note = sla_notes(tenant_a).filter(recipient=people.owner).get()
    assert incident.code in note.title and "即将超时" in note.title
    entry = TimelineEntry.objects.for_tenant(tenant_a).filter(incident=incident, kind="sla", data__event="warning")
    assert entry.get().body.startswith("首次响应时限即将到期")
    assert AuditEvent.objects.for_tenant(tenant_a).filter(action="incident.sla_warning").count() == 1


def test_a_breach_escalates_to_owner_department_heads_and_duty_managers_once(tenant_a, people) -> None:
    incident = open_case(tenant_a, people)
    sla_sweep(now=T0 + dt.timedelta(minutes=25))

    result = sla_sweep(now=T0 + dt.timedelta(minutes=31))
    again = sla_sweep(now=T0 + dt.timedelta(minutes=40))

    assert (result.breaches, again.breaches) == (1, 0)
    clock = first_response(incident)
    assert (clock.state, clock.breached_for) == (SlaClock.State.BREACHED, clock.deadline_at)
    assert SlaEvent.objects.for_tenant(tenant_a).filter(kind="breach").count() == 1
    assert recipients(tenant_a, Notification.Kind.SLA_BREACH) == {"owner"}
    # The heads of PR (linked) and legal (open task), the management department's manager and admin;
    # not the risk head (not involved), not the former PR head (inactive), not a handler of management.
    assert recipients(tenant_a, Notification.Kind.ESCALATION) == {
        "legal_staff",
        "pr_head",
        "legal_head",
        "duty",
        "chief",
    }
    assert sla_notes(tenant_a, Notification.Kind.ESCALATION).count() == 5
    escalation = TimelineEntry.objects.for_tenant(tenant_a).get(incident=incident, kind="escalation")
    assert "值班主管" in escalation.body and "部门负责人" in escalation.body


def test_a_clock_found_past_its_deadline_breaches_without_a_late_warning(tenant_a, people) -> None:
    open_case(tenant_a, people)
    result = sla_sweep(now=T0 + dt.timedelta(hours=2))
    assert (result.warnings, result.breaches) == (0, 1)
    assert not SlaEvent.objects.for_tenant(tenant_a).filter(kind="warning").exists()


def test_a_moved_deadline_warns_and_breaches_again(tenant_a, people) -> None:
    incident = open_case(tenant_a, people, task=False)
    sla_sweep(now=T0 + dt.timedelta(minutes=25))
    sla_sweep(now=T0 + dt.timedelta(minutes=31))
    assert first_response(incident).state == SlaClock.State.BREACHED

    with time_machine.travel(T0 + dt.timedelta(minutes=35), tick=False):
        incident_update(tenant=tenant_a, actor=people.duty.user, incident=incident, severity=Severity.IV)  # 8 h
    clock = first_response(incident)
    assert (clock.state, clock.deadline_at) == (SlaClock.State.RUNNING, T0 + dt.timedelta(hours=8))

    assert sla_sweep(now=T0 + dt.timedelta(hours=6, minutes=25)).warnings == 1
    assert sla_sweep(now=T0 + dt.timedelta(hours=8, minutes=1)).breaches == 1
    events = SlaEvent.objects.for_tenant(tenant_a).filter(clock=clock).order_by("deadline_at", "kind")
    assert [(e.kind, e.deadline_at - T0) for e in events] == [
        ("breach", dt.timedelta(minutes=30)),
        ("warning", dt.timedelta(minutes=30)),
        ("breach", dt.timedelta(hours=8)),
        ("warning", dt.timedelta(hours=8)),
    ]
    assert sla_notes(tenant_a, Notification.Kind.SLA_WARNING).filter(recipient=people.owner).count() == 2


def test_paused_and_met_clocks_are_not_swept(tenant_a, people) -> None:
    paused = open_case(tenant_a, people)
    met = open_case(tenant_a, people)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        sla_pause(tenant=tenant_a, actor=people.duty.user, incident=paused, reason="等待客户")
        advance_to(met, Phase.ANALYSIS, actor=people.duty.user)
    result = sla_sweep(now=T0 + dt.timedelta(minutes=40))
    # Only the met case's resolution clock (24 h) is still running, and it is not due.
    assert (result.warnings, result.breaches) == (0, 0)


def test_an_unowned_case_warns_the_duty_managers(tenant_a, people) -> None:
    with time_machine.travel(T0, tick=False):
        open_incident(tenant_a, people.duty.user, severity=Severity.I)
    sla_sweep(now=T0 + dt.timedelta(minutes=25))
    assert recipients(tenant_a, Notification.Kind.SLA_WARNING) == {"duty", "chief"}


def test_an_event_recorded_before_is_not_escalated_again(tenant_a, people) -> None:
    """A run that recorded the event (its transaction committed) but whose marks were lost is healed quietly."""
    incident = open_case(tenant_a, people)
    clock = first_response(incident)
    SlaEvent.objects.create(tenant=tenant_a, clock=clock, kind="warning", deadline_at=clock.deadline_at)

    result = sla_sweep(now=T0 + dt.timedelta(minutes=25))

    assert (result.warnings, result.already_recorded) == (0, 1)
    assert sla_notes(tenant_a).count() == 0
    clock.refresh_from_db()
    assert clock.warned_for == clock.deadline_at
    assert sla_sweep(now=T0 + dt.timedelta(minutes=26)).already_recorded == 0


def test_the_sweep_covers_every_tenant_and_keeps_their_people_apart(tenant_a, tenant_b, people) -> None:
    open_case(tenant_a, people)
    duty_b = member(tenant_b, "duty_b", Role.MANAGER, Kind.MANAGEMENT)
    owner_b = member(tenant_b, "owner_b", Role.HANDLER, Kind.PR)
    with time_machine.travel(T0, tick=False):
        open_incident(tenant_b, duty_b.user, severity=Severity.I, owner=owner_b)

    result = sla_sweep(now=T0 + dt.timedelta(minutes=31))

    assert result.breaches == 2
    assert recipients(tenant_b) == {"owner_b", "duty_b"}
    assert "duty_b" not in recipients(tenant_a)
    assert all(n.recipient.tenant_id == n.tenant_id for n in Notification.objects.dangerously_all_tenants())


def test_the_job_runs_the_sweep_and_the_cron_runs_it_every_minute(tenant_a, people) -> None:
    open_case(tenant_a, people, at=T0 - dt.timedelta(hours=1))
    with time_machine.travel(T0, tick=False):
        assert sla_sweep_job()["breaches"] == 1
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    job = {job.func_name: job for job in scheduler.get_jobs()}["incidents.jobs.sla_sweep_job"]
    assert job.cron == "* * * * *"


# ------------------------------------------------------------------------------------ query count

MAX_SWEEP_QUERIES = 30


def _sweep_queries(tenant, people, count: int) -> tuple[int, int]:
    for _ in range(count):
        open_case(tenant, people)
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=T0 + dt.timedelta(minutes=31))
    assert result.breaches == count
    return len(captured), Notification.objects.for_tenant(tenant).filter(kind="escalation").count()


@pytest.mark.parametrize("due", [5, 50])
def test_the_sweep_query_count_does_not_grow_with_the_due_clocks(
    tenant_a, people, due, django_assert_max_num_queries
) -> None:
    for _ in range(due):
        open_case(tenant_a, people)
    with django_assert_max_num_queries(MAX_SWEEP_QUERIES):
        result = sla_sweep(now=T0 + dt.timedelta(minutes=31))
    assert result.breaches == due
    assert sla_notes(tenant_a).count() == due * 6  # owner + assignee + 2 heads + 2 duty managers


def test_five_and_fifty_due_clocks_cost_the_same_queries(tenant_a, tenant_b, people) -> None:
    people_b = SimpleNamespace(
        owner=member(tenant_b, "owner_b", Role.HANDLER, Kind.CUSTOMER_SERVICE),
        assignee=member(tenant_b, "legal_b", Role.HANDLER, Kind.LEGAL),
        duty=member(tenant_b, "duty_b", Role.MANAGER, Kind.MANAGEMENT),
    )
    few, _ = _sweep_queries(tenant_a, people, 5)
    many, _ = _sweep_queries(tenant_b, people_b, 50)
    # Django caps one SQLite statement at 999 bound parameters, so there a bulk INSERT of 150
    # notifications is two statements; PostgreSQL sends each bulk write as one.
    assert many - few <= (0 if connection.vendor == "postgresql" else 2)


def test_a_breach_also_goes_to_the_channels_marked_for_sla_escalations_once(tenant_a, people) -> None:
    from yuqing.notify.models import Delivery
    from yuqing.notify.services import ChannelData, channel_create

    marked = channel_create(
        tenant=tenant_a,
        actor=None,
        data=ChannelData(name="值班邮箱", kind="email", email_recipients="duty@example.com", sla_escalations=True),
    )
    channel_create(
        tenant=tenant_a, actor=None, data=ChannelData(name="日常邮箱", kind="email", email_recipients="a@example.com")
    )
    incident = open_case(tenant_a, people)
    sla_sweep(now=T0 + dt.timedelta(minutes=25))  # a warning: not sent to channels
    assert not Delivery.objects.for_tenant(tenant_a).exists()

    sla_sweep(now=T0 + dt.timedelta(minutes=31))
    sla_sweep(now=T0 + dt.timedelta(minutes=40))

    [delivery] = Delivery.objects.for_tenant(tenant_a)
    assert delivery.channel_id == marked.pk
    assert incident.code in delivery.title and "值班主管" in delivery.body
    assert (delivery.level, delivery.link) == (incident.severity, f"/incidents/{incident.pk}/")

"""SLA policies and clocks: defaults, the customer tier, deadlines on the business calendar, pauses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import ServiceStrategy, Tier
from incidents.models import ClockKind, Phase, Severity, SlaClock, SlaPause, SlaPolicy
from incidents.services.sla import (
    incident_terms,
    sla_pause,
    sla_policies_ensure,
    sla_resume,
)
from tests.customers.factories import CustomerFactory
from tests.incidents.factories import advance_to, open_incident
from yuqing.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def clocks_of(incident) -> dict[str, SlaClock]:
    return {c.kind: c for c in SlaClock.objects.for_tenant(incident.tenant).filter(incident=incident)}


def set_policy(tenant, severity: int, tier: str = Tier.STANDARD, **values: object) -> None:
    sla_policies_ensure(tenant=tenant)
    SlaPolicy.objects.for_tenant(tenant).filter(severity=severity, tier=tier).update(**values)


# ------------------------------------------------------------------------------------ policies


def test_default_policies_cover_every_severity_and_tier(tenant_a) -> None:
    policies = sla_policies_ensure(tenant=tenant_a)
    assert len(policies) == 8
    standard_i = policies[(Severity.I, Tier.STANDARD)]
    assert (standard_i.clock_kind, standard_i.first_response_minutes, standard_i.resolution_minutes) == (
        ClockKind.TWENTY_FOUR_SEVEN,
        30,
        24 * 60,
    )
    assert [policies[(s, Tier.STANDARD)].first_response_minutes for s in Severity] == [30, 60, 240, 480]
    standard_ii = policies[(Severity.II, Tier.STANDARD)]
    assert (standard_ii.clock_kind, standard_ii.resolution_days) == (ClockKind.WORKING_DAYS, 3)
    # VIP = standard × the VIP strategy's factor (0.50 by default), rounded down
    vip_ii = policies[(Severity.II, Tier.VIP)]
    assert (vip_ii.first_response_minutes, vip_ii.resolution_days) == (30, 1)
    assert policies[(Severity.IV, Tier.VIP)].resolution_days == 5


def test_vip_defaults_follow_the_tenants_vip_factor(tenant_a) -> None:
    ServiceStrategy.objects.create(tenant=tenant_a, tier=Tier.VIP, sla_factor=Decimal("0.80"))
    policies = sla_policies_ensure(tenant=tenant_a)
    assert policies[(Severity.III, Tier.VIP)].first_response_minutes == 192  # 240 × 0.8


def test_ensuring_again_keeps_the_tenants_edits(tenant_a) -> None:
    set_policy(tenant_a, Severity.I, first_response_minutes=15)
    sla_policies_ensure(tenant=tenant_a)
    assert SlaPolicy.objects.for_tenant(tenant_a).count() == 8
    assert SlaPolicy.objects.for_tenant(tenant_a).get(severity=1, tier="standard").first_response_minutes == 15


def test_the_most_demanding_customer_decides_the_tier(tenant_a, admin_a) -> None:
    standard, vip = CustomerFactory(tenant=tenant_a), CustomerFactory(tenant=tenant_a, tier=Tier.VIP)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.III, customers=[standard, vip])
    terms = incident_terms(tenant=tenant_a, incident=incident)
    assert (terms.tier, terms.factor) == (Tier.VIP, Decimal("0.50"))
    assert clocks_of(incident)["first_response"].deadline_at == at(2026, 3, 2, 12, 0)  # 240 min × 0.5


def test_without_customers_the_standard_targets_apply(tenant_a, admin_a) -> None:
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.III)
    assert clocks_of(incident)["first_response"].deadline_at == at(2026, 3, 2, 14, 0)


def test_a_missing_vip_row_scales_the_standard_one_by_the_customers_factor(tenant_a, admin_a) -> None:
    sla_policies_ensure(tenant=tenant_a)
    SlaPolicy.objects.for_tenant(tenant_a).filter(severity=Severity.IV, tier=Tier.VIP).delete()
    ServiceStrategy.objects.create(tenant=tenant_a, tier=Tier.VIP, sla_factor=Decimal("0.25"))
    vip = CustomerFactory(tenant=tenant_a, tier=Tier.VIP)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.IV, customers=[vip])
    assert clocks_of(incident)["first_response"].deadline_at == at(2026, 3, 2, 12, 0)  # 480 × 0.25


# ------------------------------------------------------------------- deadlines on the calendar


def test_a_24x7_policy_runs_through_the_spring_festival(tenant_a, admin_a) -> None:
    opened = at(2026, 2, 14, 20, 0)  # the make-up Saturday evening before the holiday
    with time_machine.travel(opened, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    clocks = clocks_of(incident)
    assert clocks["first_response"].clock_kind == ClockKind.TWENTY_FOUR_SEVEN
    assert clocks["first_response"].deadline_at == at(2026, 2, 14, 20, 30)
    assert clocks["first_response"].warn_at == at(2026, 2, 14, 20, 24)  # 80 %
    assert clocks["resolution"].deadline_at == at(2026, 2, 15, 20, 0)
    assert clocks["resolution"].warn_at == at(2026, 2, 15, 15, 12)


def test_working_days_skip_the_spring_festival_and_count_the_make_up_saturday(tenant_a, admin_a) -> None:
    with time_machine.travel(at(2026, 2, 13, 10, 0), tick=False):  # Friday before the holiday
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.II)  # 3 working days
    clocks = clocks_of(incident)
    # First response runs 7×24 under a day-clock policy: 60 minutes.
    assert clocks["first_response"].clock_kind == ClockKind.TWENTY_FOUR_SEVEN
    assert clocks["first_response"].deadline_at == at(2026, 2, 13, 11, 0)
    # Sat 14 Feb (make-up working day), then 15–23 Feb off, then Tue 24 and Wed 25: ends 24:00 on the 25th.
    resolution = clocks["resolution"]
    assert resolution.clock_kind == ClockKind.WORKING_DAYS
    assert resolution.deadline_at == at(2026, 2, 26, 0, 0)
    # 80 % of 3 days = 2.4 working days: 0.4 into Wed 25 Feb is 09:36.
    assert resolution.warn_at == at(2026, 2, 25, 9, 36)


def test_business_hours_stop_at_closing_time_and_resume_on_the_make_up_saturday(tenant_a, admin_a) -> None:
    set_policy(tenant_a, Severity.III, clock_kind=ClockKind.BUSINESS_HOURS, resolution_minutes=16 * 60)
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.III)
    clocks = clocks_of(incident)
    # 09:00–17:30: 1.5 h on Friday, the other 2.5 h on Saturday 14 Feb (a working day in 2026).
    assert clocks["first_response"].clock_kind == ClockKind.BUSINESS_HOURS
    assert clocks["first_response"].deadline_at == at(2026, 2, 14, 11, 30)
    # 16 h: 1.5 Fri + 8.5 Sat + 6 on Tue 24 Feb (after the holiday) → 15:00.
    assert clocks["resolution"].deadline_at == at(2026, 2, 24, 15, 0)


def test_calendar_days_roll_over_a_holiday_end(tenant_a, admin_a) -> None:
    set_policy(tenant_a, Severity.IV, clock_kind=ClockKind.CALENDAR_DAYS, resolution_days=7)
    with time_machine.travel(at(2026, 2, 10, 9, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.IV)
    resolution = clocks_of(incident)["resolution"]
    # Day 7 is 17 Feb, inside the holiday: the period ends at 24:00 of the next working day, 24 Feb.
    assert resolution.deadline_at == at(2026, 2, 25, 0, 0)
    assert resolution.warn_at < resolution.deadline_at


# ----------------------------------------------------------------------------------- pauses


def test_pause_and_resume_move_the_deadline_by_the_paused_time(tenant_a, admin_a) -> None:
    t0 = at(2026, 3, 2, 10, 0)
    with time_machine.travel(t0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)
    with time_machine.travel(t0 + dt.timedelta(minutes=10), tick=False):
        paused = sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason="等待客户提供材料")
    assert {c.state for c in paused} == {SlaClock.State.PAUSED}
    with time_machine.travel(t0 + dt.timedelta(minutes=70), tick=False):
        sla_resume(tenant=tenant_a, actor=admin_a.user, incident=incident)
    clocks = clocks_of(incident)
    assert clocks["first_response"].state == SlaClock.State.RUNNING
    assert clocks["first_response"].deadline_at == t0 + dt.timedelta(minutes=90)
    assert clocks["first_response"].warn_at == t0 + dt.timedelta(minutes=84)
    assert clocks["resolution"].deadline_at == t0 + dt.timedelta(hours=25)
    pause = SlaPause.objects.for_tenant(tenant_a).filter(clock=clocks["first_response"]).get()
    assert (pause.started_at, pause.ended_at, pause.reason) == (
        t0 + dt.timedelta(minutes=10),
        t0 + dt.timedelta(minutes=70),
        "等待客户提供材料",
    )
    actions = set(AuditEvent.objects.for_tenant(tenant_a).values_list("action", flat=True))
    assert {"incident.sla_pause", "incident.sla_resume"} <= actions


def test_a_pause_over_the_holiday_gives_a_working_day_clock_nothing_back(tenant_a, admin_a) -> None:
    with time_machine.travel(at(2026, 2, 13, 10, 0), tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.II)
    with time_machine.travel(at(2026, 2, 15, 10, 0), tick=False):
        paused = sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason="等待监管回复")
    # The first response (60 min) ran out on Friday: a pause cannot hide that breach.
    assert [c.kind for c in paused] == ["resolution"]
    with time_machine.travel(at(2026, 2, 23, 18, 0), tick=False):
        sla_resume(tenant=tenant_a, actor=admin_a.user, incident=incident)
    assert clocks_of(incident)["resolution"].deadline_at == at(2026, 2, 26, 0, 0)


def test_a_pause_needs_a_reason_and_a_running_clock(tenant_a, admin_a) -> None:
    incident = open_incident(tenant_a, admin_a.user)
    with pytest.raises(ValidationError) as caught:
        sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason=" ")
    assert caught.value.message_dict == {"reason": ["暂停计时必须填写原因。"]}
    with pytest.raises(ValidationError):
        sla_resume(tenant=tenant_a, actor=admin_a.user, incident=incident)
    sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason="等待客户")
    with pytest.raises(ValidationError) as caught:
        sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason="再次暂停")
    assert "无需暂停" in caught.value.messages[0]


def test_meeting_a_paused_clock_counts_the_pause(tenant_a, admin_a) -> None:
    t0 = at(2026, 3, 2, 10, 0)
    with time_machine.travel(t0, tick=False):
        incident = open_incident(tenant_a, admin_a.user, severity=Severity.I)  # 30 min first response
    with time_machine.travel(t0 + dt.timedelta(minutes=20), tick=False):
        sla_pause(tenant=tenant_a, actor=admin_a.user, incident=incident, reason="等待客户回电")
    with time_machine.travel(t0 + dt.timedelta(hours=3), tick=False):
        incident = advance_to(incident, Phase.ANALYSIS, actor=admin_a.user)
    clock = clocks_of(incident)["first_response"]
    assert clock.state == SlaClock.State.MET
    assert clock.deadline_at == t0 + dt.timedelta(hours=3, minutes=10)
    assert clock.stopped_at < clock.deadline_at
    assert not SlaPause.objects.for_tenant(tenant_a).filter(clock=clock, ended_at__isnull=True).exists()

"""Reads the portal pages need beyond incidents.selectors: choice lists and the SLA clock display.

Every function takes the tenant; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from incidents.models import Incident, IncidentNature, SlaClock, SlaPause
from yuqing.tenancy.models import Department, Membership, Tenant
from yuqing.workcalendar.deadlines import Calendar, elapsed_share
from yuqing.workcalendar.selectors import calendar_for_tenant


def nature_choices(*, tenant: Tenant) -> models.QuerySet[IncidentNature]:
    return IncidentNature.objects.for_tenant(tenant).filter(is_active=True).order_by("name")


def department_choices(*, tenant: Tenant) -> models.QuerySet[Department]:
    return Department.objects.for_tenant(tenant).filter(is_active=True).order_by("name")


def member_choices(*, tenant: Tenant) -> models.QuerySet[Membership]:
    """Active members, by name, with what a choice label shows (name, department)."""
    return (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .select_related("user", "department")
        .order_by("user__display_name", "user__username")
    )


def customer_choices(*, tenant: Tenant) -> models.QuerySet[Customer]:
    return Customer.objects.for_tenant(tenant).only("pk", "name", "tier", "tenant_id").order_by("name", "pk")


@dataclass(frozen=True)
class ClockView:
    """One SLA clock as the detail page shows it."""

    clock: SlaClock
    state: str  # on_track / at_risk / breached / paused / met / cancelled
    share: float  # of the allowed clock time used (0..1+), on the clock's own calendar
    remaining: dt.timedelta  # wall time to the deadline (negative once past)

    @property
    def percent(self) -> int:
        return max(0, min(100, round(self.share * 100)))

    @property
    def is_ticking(self) -> bool:
        """Counting down, or up past a breach the sweep recorded while the work goes on."""
        return self.clock.stopped_at is None and self.clock.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED)

    @property
    def label(self) -> str:
        return str(CLOCK_STATE_LABELS[self.state])


CLOCK_STATE_LABELS = {
    "on_track": _("正常"),
    "at_risk": _("即将超时"),
    "breached": _("已超时"),
    "paused": _("已暂停"),
    "met": _("已达成"),
    "cancelled": _("已取消"),
}


def _clock_state(clock: SlaClock, now: dt.datetime) -> str:
    if clock.state == SlaClock.State.RUNNING:
        if now >= clock.deadline_at:
            return "breached"
        return "at_risk" if now >= clock.warn_at else "on_track"
    return {
        SlaClock.State.PAUSED: "paused",
        SlaClock.State.MET: "met",
        SlaClock.State.BREACHED: "breached",
    }.get(clock.state, "cancelled")


def sla_clock_views(
    *, tenant: Tenant, incident: Incident, now: dt.datetime | None = None, calendar: Calendar | None = None
) -> list[ClockView]:
    """The incident's clocks with their state, share used and time left: four queries at most."""
    now = now or timezone.now()
    clocks = list(
        SlaClock.objects.for_tenant(tenant)
        .filter(incident=incident)
        .prefetch_related(Prefetch("pauses", queryset=SlaPause.objects.for_tenant(tenant)))
        .order_by("kind")  # first_response before resolution
    )
    if not clocks:
        return []
    calendar = calendar or calendar_for_tenant(tenant=tenant)
    views = []
    for clock in clocks:
        until = clock.stopped_at or now
        pauses = [(pause.started_at, pause.ended_at or until) for pause in clock.pauses.all()]
        share = elapsed_share(calendar, clock.clock_kind, clock.started_at, clock.deadline_at, until, pauses)
        views.append(ClockView(clock, _clock_state(clock, now), share, clock.deadline_at - now))
    return views

"""SLA reads: what "on track / at risk / breached / paused" means for a whole incident, as query
conditions, and each clock as the detail page shows it.

An incident's SLA state is the worst of its clocks, in this order: breached (a clock ran past its
deadline: still running, marked by the sweep, or stopped late — all but the first are state
"breached"), paused (a clock is paused),
at risk (a running clock passed its warning time), on track (an open incident with none of those).
The list filter and the badges use the same definitions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, Exists, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import Incident, Phase, SlaClock, SlaPause
from yuqing.tenancy.models import Tenant
from yuqing.workcalendar.deadlines import Calendar, elapsed_share
from yuqing.workcalendar.selectors import calendar_for_tenant

ON_TRACK, AT_RISK, BREACHED, PAUSED = "on_track", "at_risk", "breached", "paused"

SLA_STATE_CHOICES = [
    (ON_TRACK, gettext_lazy("正常")),
    (AT_RISK, gettext_lazy("即将超时")),
    (BREACHED, gettext_lazy("已超时")),
    (PAUSED, gettext_lazy("已暂停")),
]
SLA_STATE_LABELS = dict(SLA_STATE_CHOICES)
SLA_STATE_CSS = {ON_TRACK: "success", AT_RISK: "warning", BREACHED: "danger", PAUSED: "muted"}


def _clocks(tenant: Tenant, condition: Q) -> Exists:
    return Exists(SlaClock.objects.for_tenant(tenant).filter(condition, incident=OuterRef("pk")).values("pk"))


def _breached(tenant: Tenant, now: dt.datetime) -> Exists:
    return _clocks(
        tenant,
        Q(state=SlaClock.State.BREACHED) | Q(state=SlaClock.State.RUNNING, deadline_at__lte=now),
    )


def _paused(tenant: Tenant) -> Exists:
    return _clocks(tenant, Q(state=SlaClock.State.PAUSED))


def _at_risk(tenant: Tenant, now: dt.datetime) -> Exists:
    return _clocks(tenant, Q(state=SlaClock.State.RUNNING, warn_at__lte=now, deadline_at__gt=now))


def sla_state_q(state: str, *, tenant: Tenant, now: dt.datetime) -> Q:
    """The condition an incident of `tenant` in `state` meets at `now` (the states exclude each other)."""
    breached, paused, at_risk = _breached(tenant, now), _paused(tenant), _at_risk(tenant, now)
    if state == BREACHED:
        return Q(breached)
    if state == PAUSED:
        return Q(paused) & ~Q(breached)
    if state == AT_RISK:
        return Q(at_risk) & ~Q(paused) & ~Q(breached)
    if state == ON_TRACK:
        return ~Q(phase=Phase.CLOSED) & ~Q(at_risk) & ~Q(paused) & ~Q(breached)
    return Q()


def sla_state_annotation(*, tenant: Tenant, now: dt.datetime) -> Case:
    """`.annotate(sla_state=sla_state_annotation(now))`: the state as one column ("" when closed and clean)."""
    return Case(
        When(_breached(tenant, now), then=Value(BREACHED)),
        When(_paused(tenant), then=Value(PAUSED)),
        When(_at_risk(tenant, now), then=Value(AT_RISK)),
        When(~Q(phase=Phase.CLOSED), then=Value(ON_TRACK)),
        default=Value(""),
        output_field=CharField(),
    )


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

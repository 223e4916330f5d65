"""What "on track / at risk / breached / paused" means for a whole incident, as query conditions.

An incident's SLA state is the worst of its clocks, in this order: breached (a clock ran past its
deadline: still running, marked by the sweep, or stopped late — all but the first are state
"breached"), paused (a clock is paused),
at risk (a running clock passed its warning time), on track (an open incident with none of those).
The list filter and the badges use the same definitions.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from incidents.models import Phase, SlaClock
from yuqing.tenancy.models import Tenant

ON_TRACK, AT_RISK, BREACHED, PAUSED = "on_track", "at_risk", "breached", "paused"

SLA_STATE_CHOICES = [
    (ON_TRACK, _("正常")),
    (AT_RISK, _("即将超时")),
    (BREACHED, _("已超时")),
    (PAUSED, _("已暂停")),
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

"""SLA policies and clocks: default policies, starting, pausing, resuming, moving and stopping clocks.

How a clock's times are found
- The policy is the tenant's row for the incident's severity × the tier of its most demanding
  linked customer: the one whose service strategy (customers' `customer_service_profiles`) has the
  smallest `sla_factor`. No customer: the standard tier. The VIP rows hold the VIP targets
  themselves (`sla_policies_ensure` fills them as standard × the VIP strategy's factor); only when a
  tenant removed the VIP row for a severity is the standard row scaled by the customer's factor.
- First response counts `first_response_minutes` on the policy's clock when that is an hour clock
  (7×24 or business hours). Under a day clock (working days, calendar days), which counts the
  resolution in whole days, the first response runs 7×24: the watch desk answers round the clock
  even where resolution targets count working days.
- Resolution counts `resolution_minutes` on an hour clock, `resolution_days` on a day clock.
- Every clock starts at the incident's `opened_at` (发现时间) and runs on the tenant's business
  calendar (`yuqing.workcalendar`), with every pause given back (SlaPause rows; an ongoing pause
  counts up to now).
- warn_at is the moment the used share of the clock time reaches the policy's `warn_share`, on the
  same clock with the same pauses. Hour clocks: the deadline of amount × share. Day clocks: the
  first whole second at which `elapsed_share` reaches the share (found by bisection),
  so a 3-working-day clock at 80 % warns at 09:36 of its third working day, and a calendar-day
  clock rolled past a holiday (Civil Code Art. 203) measures the share over the rolled period.
- Deadlines follow the policy in force: pausing, resuming, a new severity or a new customer tier
  recompute them from `opened_at`; a moved deadline can warn and breach again (SlaEvent is unique
  per deadline).
- A clock stops when its target is met (leaving 响应与信息收集 meets the first response; entering
  复盘 meets the resolution): met in time, or breached when stopped at or after its deadline.
  Moving an incident back before 复盘 reopens its resolution clock.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, ServiceStrategy, Tier
from customers.selectors.customers import customer_service_profiles
from customers.services.tiering import service_strategy_defaults
from incidents.models import ClockKind, Incident, Severity, SlaClock, SlaPause, SlaPolicy, TimelineEntry
from incidents.services.common import audit, require_open, timeline_add
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.workcalendar import deadlines
from yuqing.workcalendar.selectors import calendar_for_tenant

Kind = SlaClock.Kind
State = SlaClock.State
HOUR_CLOCKS = (ClockKind.TWENTY_FOUR_SEVEN, ClockKind.BUSINESS_HOURS)

# Severity → the standard tier's defaults. VIP rows are these × the VIP strategy's sla_factor.
DEFAULT_POLICIES: dict[int, dict[str, object]] = {
    Severity.I: {
        "clock_kind": ClockKind.TWENTY_FOUR_SEVEN,
        "first_response_minutes": 30,
        "resolution_minutes": 24 * 60,
    },
    Severity.II: {"clock_kind": ClockKind.WORKING_DAYS, "first_response_minutes": 60, "resolution_days": 3},
    Severity.III: {"clock_kind": ClockKind.WORKING_DAYS, "first_response_minutes": 4 * 60, "resolution_days": 5},
    Severity.IV: {"clock_kind": ClockKind.WORKING_DAYS, "first_response_minutes": 8 * 60, "resolution_days": 10},
}
DEFAULT_LEGAL_BASIS = "系统默认时限，可在管理后台按本机构制度调整"
SHARE_TOLERANCE = 1e-9


# --------------------------------------------------------------------------------------- policies


def _scaled(value: int | None, factor: Decimal) -> int | None:
    """A target × factor, rounded down (stricter), never below 1."""
    if value is None:
        return None
    return max(1, int(Decimal(value) * factor))


def scaled_policy(policy: SlaPolicy, factor: Decimal, *, tier: str | None = None) -> SlaPolicy:
    """An unsaved copy of `policy` with its targets × `factor`."""
    return SlaPolicy(
        tenant_id=policy.tenant_id,
        severity=policy.severity,
        tier=tier or policy.tier,
        clock_kind=policy.clock_kind,
        first_response_minutes=_scaled(policy.first_response_minutes, factor),
        resolution_minutes=_scaled(policy.resolution_minutes, factor),
        resolution_days=_scaled(policy.resolution_days, factor),
        warn_share=policy.warn_share,
        legal_basis=policy.legal_basis,
    )


def _vip_factor(tenant: Tenant) -> Decimal:
    strategy = ServiceStrategy.objects.for_tenant(tenant).filter(tier=Tier.VIP).first()
    return (strategy or service_strategy_defaults(Tier.VIP)).sla_factor


@tenant_service(None)
def sla_policies_ensure(*, tenant: Tenant) -> dict[tuple[int, str], SlaPolicy]:
    """Create the default policies the tenant lacks (severity I–IV × VIP/standard); return all of them.

    Rows the tenant already has are left as they are: the table is the tenant's to edit.
    """
    stored = {(p.severity, p.tier): p for p in SlaPolicy.objects.for_tenant(tenant)}
    missing: list[SlaPolicy] = []
    vip_factor: Decimal | None = None
    for severity, values in DEFAULT_POLICIES.items():
        standard = SlaPolicy(tenant=tenant, severity=severity, tier=Tier.STANDARD, legal_basis=DEFAULT_LEGAL_BASIS)
        for name, value in values.items():
            setattr(standard, name, value)
        if (severity, Tier.STANDARD) not in stored:
            missing.append(standard)
        if (severity, Tier.VIP) not in stored:
            vip_factor = _vip_factor(tenant) if vip_factor is None else vip_factor
            vip = scaled_policy(standard, vip_factor, tier=Tier.VIP)
            vip.tenant = tenant
            missing.append(vip)
    if missing:
        # ignore_conflicts: two first incidents of a new tenant may both get here.
        SlaPolicy.objects.bulk_create(missing, ignore_conflicts=True)
        stored = {(p.severity, p.tier): p for p in SlaPolicy.objects.for_tenant(tenant)}
    return stored


# ---------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class ClockTarget:
    kind: str  # SlaClock.Kind
    clock_kind: str  # ClockKind value
    amount: dt.timedelta | int  # a timedelta on hour clocks, whole days on day clocks
    warn_share: Decimal
    policy: SlaPolicy | None  # the stored row it came from (for the clock's foreign key)


@dataclass(frozen=True)
class Terms:
    """Which policy applies to an incident and why."""

    tier: str
    factor: Decimal
    policy: SlaPolicy | None  # as applied (may be an unsaved scaled copy)
    source: SlaPolicy | None  # the stored row


def incident_terms(*, tenant: Tenant, incident: Incident) -> Terms:
    """The policy for the incident's severity and its most demanding customer's tier (see module docstring)."""
    customer_ids = (
        list(Customer.objects.for_tenant(tenant).filter(incidents=incident).values_list("pk", flat=True))
        if incident.pk
        else []
    )
    profiles = customer_service_profiles(tenant=tenant, customer_ids=customer_ids).values() if customer_ids else []
    demanding = min(profiles, key=lambda p: (p.sla_factor, not p.is_vip), default=None)
    tier = demanding.tier if demanding else Tier.STANDARD
    factor = demanding.sla_factor if demanding else Decimal("1")
    policies = {(p.severity, p.tier): p for p in SlaPolicy.objects.for_tenant(tenant)}
    if not policies:
        policies = sla_policies_ensure(tenant=tenant)
    row = policies.get((incident.severity, tier))
    if row is not None:
        return Terms(tier, factor, row, row)
    standard = policies.get((incident.severity, Tier.STANDARD))
    if standard is None:
        return Terms(tier, factor, None, None)
    return Terms(tier, factor, scaled_policy(standard, factor, tier=tier), standard)


def policy_targets(policy: SlaPolicy | None, source: SlaPolicy | None = None) -> dict[str, ClockTarget]:
    """{clock kind: target} for the targets the policy sets."""
    if policy is None:
        return {}
    source = source or policy
    targets: dict[str, ClockTarget] = {}
    if policy.first_response_minutes:
        first_kind = policy.clock_kind if policy.clock_kind in HOUR_CLOCKS else ClockKind.TWENTY_FOUR_SEVEN
        targets[Kind.FIRST_RESPONSE] = ClockTarget(
            Kind.FIRST_RESPONSE,
            str(first_kind),
            dt.timedelta(minutes=policy.first_response_minutes),
            policy.warn_share,
            source,
        )
    if policy.clock_kind in HOUR_CLOCKS and policy.resolution_minutes:
        amount: dt.timedelta | int = dt.timedelta(minutes=policy.resolution_minutes)
    elif policy.clock_kind not in HOUR_CLOCKS and policy.resolution_days:
        amount = int(policy.resolution_days)
    else:
        return targets
    targets[Kind.RESOLUTION] = ClockTarget(Kind.RESOLUTION, str(policy.clock_kind), amount, policy.warn_share, source)
    return targets


def moment_of_share(
    cal: deadlines.Calendar,
    clock_kind: str,
    start: dt.datetime,
    deadline_at: dt.datetime,
    share: float,
    pauses: Iterable[deadlines.Span] = (),
) -> dt.datetime:
    """The first whole second after `start` at which `elapsed_share` reaches `share` (bisection)."""
    pauses = list(pauses)
    low, high = 0, max(1, math.ceil((deadline_at - start).total_seconds()))
    while high - low > 1:
        middle = (low + high) // 2
        moment = start + dt.timedelta(seconds=middle)
        # The tolerance absorbs float rounding of the share (a millisecond over ten days).
        if deadlines.elapsed_share(cal, clock_kind, start, deadline_at, moment, pauses) >= share - SHARE_TOLERANCE:
            high = middle
        else:
            low = middle
    return min(start + dt.timedelta(seconds=high), deadline_at)


class ClockTimes(NamedTuple):
    warn_at: dt.datetime
    deadline_at: dt.datetime
    # What the working days rested on (computed holidays, a Monday–Friday guess), stored on the clock
    # so pages say so without recomputing; the warn time lies before the deadline and needs no other.
    basis: deadlines.Basis


def clock_times(
    cal: deadlines.Calendar, target: ClockTarget, start: dt.datetime, pauses: Iterable[deadlines.Span] = ()
) -> ClockTimes:
    """(warn_at, deadline_at, basis) of a clock of `target` started at `start` with `pauses` given back."""
    pauses = list(pauses)
    due = deadlines.deadline_info(cal, target.clock_kind, start, target.amount, pauses)
    deadline_at = due.at
    share = float(target.warn_share)
    if isinstance(target.amount, dt.timedelta):
        warn_at = deadlines.deadline(cal, target.clock_kind, start, target.amount * share, pauses)
    else:
        warn_at = moment_of_share(cal, target.clock_kind, start, deadline_at, share, pauses)
    return ClockTimes(warn_at, deadline_at, due.basis)


def pause_spans(clock: SlaClock, now: dt.datetime) -> list[deadlines.Span]:
    """The clock's pauses (prefetched), an ongoing one counted up to `now`."""
    return [(pause.started_at, pause.ended_at or now) for pause in clock.pauses.all()]


def target_reached(incident: Incident, kind: str) -> bool:
    """Whether the incident already did what the clock of `kind` times."""
    return (incident.first_response_at if kind == Kind.FIRST_RESPONSE else incident.resolved_at) is not None


def _local(moment: dt.datetime, tenant: Tenant) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).strftime("%Y-%m-%d %H:%M")


def _clocks(tenant: Tenant, incident: Incident):  # type: ignore[no-untyped-def]
    return (
        SlaClock.objects.for_tenant(tenant)
        .filter(incident=incident)
        .prefetch_related(Prefetch("pauses", queryset=SlaPause.objects.for_tenant(tenant).order_by("started_at")))
        .order_by("kind")
    )


def _locked_clocks(tenant: Tenant, incident: Incident, **lookup: object) -> list[SlaClock]:
    return list(_clocks(tenant, incident).filter(**lookup).select_for_update(of=("self",)))


# ----------------------------------------------------------------------------------------- writes


@tenant_service(None)
def sla_clocks_start(
    *, tenant: Tenant, incident: Incident, calendar: deadlines.Calendar | None = None
) -> list[SlaClock]:
    """Start the incident's clocks from its opened_at. Called by incident_open, inside its transaction."""
    if SlaClock.objects.for_tenant(tenant).filter(incident=incident).exists():
        return sla_recompute(tenant=tenant, incident=incident)
    terms = incident_terms(tenant=tenant, incident=incident)
    targets = policy_targets(terms.policy, terms.source)
    if not targets:
        return []
    cal = calendar or calendar_for_tenant(tenant=tenant)
    clocks = []
    for target in targets.values():
        warn_at, deadline_at, basis = clock_times(cal, target, incident.opened_at)
        clocks.append(
            SlaClock(
                tenant=tenant,
                incident=incident,
                kind=target.kind,
                clock_kind=target.clock_kind,
                started_at=incident.opened_at,
                warn_at=warn_at,
                deadline_at=deadline_at,
                calendar_basis=basis,
                policy=target.policy,
            )
        )
    return SlaClock.objects.bulk_create(clocks)


def _clock_label(kind: str) -> str:
    return str(Kind(kind).label)


@tenant_service(Permission.WRITE)
def sla_pause(*, tenant: Tenant, actor: User | None, incident: Incident, reason: str) -> list[SlaClock]:
    """Stop the incident's running clocks while waiting on the customer or a regulator.

    A clock already past its deadline is not paused: a pause cannot hide a breach (the sweep records it).
    """
    require_open(incident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("暂停计时必须填写原因。")})
    now = timezone.now()
    clocks = [c for c in _locked_clocks(tenant, incident, state=State.RUNNING) if c.deadline_at > now]
    if not clocks:
        raise ValidationError(_("当前没有正在计时且未超时的时限，无需暂停。"), code="nothing_running")
    for clock in clocks:
        clock.state, clock.paused_at = State.PAUSED, now
    SlaClock.objects.bulk_update(clocks, ["state", "paused_at"])
    SlaPause.objects.bulk_create(
        [SlaPause(tenant=tenant, clock=clock, started_at=now, reason=reason[:200], actor=actor) for clock in clocks]
    )
    labels = "、".join(_clock_label(clock.kind) for clock in clocks)
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.SLA,
        actor=actor,
        body=_("暂停计时（%(clocks)s）：%(reason)s") % {"clocks": labels, "reason": reason},
        data={"action": "pause", "clocks": [clock.kind for clock in clocks], "reason": reason},
    )
    audit(tenant, actor, "incident.sla_pause", incident, {"clocks": [c.kind for c in clocks], "reason": reason})
    return clocks


@tenant_service(Permission.WRITE)
def sla_resume(*, tenant: Tenant, actor: User | None, incident: Incident) -> list[SlaClock]:
    """Run the paused clocks again; their deadlines move by the clock time that stood still."""
    clocks = _locked_clocks(tenant, incident, state=State.PAUSED)
    if not clocks:
        raise ValidationError(_("当前没有已暂停的计时。"), code="nothing_paused")
    now = timezone.now()
    open_pauses = [pause for clock in clocks for pause in clock.pauses.all() if pause.ended_at is None]
    for pause in open_pauses:
        pause.ended_at = now
    SlaPause.objects.bulk_update(open_pauses, ["ended_at"])
    terms = incident_terms(tenant=tenant, incident=incident)
    targets = policy_targets(terms.policy, terms.source)
    cal = calendar_for_tenant(tenant=tenant)
    changes = {}
    for clock in clocks:
        before = clock.deadline_at
        clock.state, clock.paused_at = State.RUNNING, None
        target = targets.get(clock.kind)
        if target is not None:
            _retime(clock, target, cal, now)
        changes[clock.kind] = {"before": before.isoformat(), "after": clock.deadline_at.isoformat()}
    SlaClock.objects.bulk_update(
        clocks, ["state", "paused_at", "warn_at", "deadline_at", "clock_kind", "policy", "calendar_basis"]
    )
    body = "；".join(
        _("%(clock)s截止时间顺延至 %(at)s") % {"clock": _clock_label(c.kind), "at": _local(c.deadline_at, tenant)}
        for c in clocks
    )
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.SLA,
        actor=actor,
        body=_("恢复计时：%(detail)s") % {"detail": body},
        data={"action": "resume", "deadlines": changes},
    )
    audit(tenant, actor, "incident.sla_resume", incident, {"deadlines": changes})
    return clocks


def _retime(clock: SlaClock, target: ClockTarget, cal: deadlines.Calendar, now: dt.datetime) -> bool:
    """Set the clock's times from `target`; True when anything moved."""
    warn_at, deadline_at, basis = clock_times(cal, target, clock.started_at, pause_spans(clock, now))
    policy_id = target.policy.pk if target.policy is not None else None
    before = (clock.warn_at, clock.deadline_at, clock.clock_kind, clock.policy_id, clock.calendar_basis)
    clock.warn_at, clock.deadline_at, clock.clock_kind = warn_at, deadline_at, target.clock_kind
    clock.policy_id, clock.calendar_basis = policy_id, basis
    return before != (warn_at, deadline_at, target.clock_kind, policy_id, basis)


@tenant_service(Permission.WRITE)
def sla_recompute(*, tenant: Tenant, incident: Incident, actor: User | None = None) -> list[SlaClock]:
    """Move the deadlines of the clocks still counting after the severity or the customer tier changed.

    A clock the sweep marked breached runs again when its new deadline lies ahead; a moved deadline
    can warn (and breach) again, since the sweep records events per deadline. Clocks already stopped
    (met or breached when stopped) keep their record. Returns the clocks that moved or started.
    """
    now = timezone.now()
    clocks = [c for c in _locked_clocks(tenant, incident) if c.stopped_at is None and c.state != State.CANCELLED]
    terms = incident_terms(tenant=tenant, incident=incident)
    targets = policy_targets(terms.policy, terms.source)
    cal = calendar_for_tenant(tenant=tenant)
    existing = {
        kind for kind in SlaClock.objects.for_tenant(tenant).filter(incident=incident).values_list("kind", flat=True)
    }
    moved: list[SlaClock] = []
    changes: dict[str, dict[str, str]] = {}
    for clock in clocks:
        target = targets.get(clock.kind)
        before = clock.deadline_at
        if target is None or not _retime(clock, target, cal, now):
            continue
        if clock.state == State.BREACHED and clock.deadline_at > now:
            clock.state = State.RUNNING
        moved.append(clock)
        changes[clock.kind] = {"before": before.isoformat(), "after": clock.deadline_at.isoformat()}
    if moved:
        SlaClock.objects.bulk_update(
            moved, ["state", "warn_at", "deadline_at", "clock_kind", "policy", "calendar_basis"]
        )
    started = []
    for kind, target in targets.items():
        # A target the policy did not set before (the tenant added it): start that clock now.
        if kind in existing or target_reached(incident, kind):
            continue
        warn_at, deadline_at, basis = clock_times(cal, target, incident.opened_at)
        started.append(
            SlaClock(
                tenant=tenant,
                incident=incident,
                kind=kind,
                clock_kind=target.clock_kind,
                started_at=incident.opened_at,
                warn_at=warn_at,
                deadline_at=deadline_at,
                calendar_basis=basis,
                policy=target.policy,
            )
        )
        changes[kind] = {"before": "", "after": deadline_at.isoformat()}
    if started:
        SlaClock.objects.bulk_create(started)
    if not changes:
        return []
    detail = "；".join(
        _("%(clock)s截止 %(at)s") % {"clock": _clock_label(c.kind), "at": _local(c.deadline_at, tenant)}
        for c in [*moved, *started]
    )
    timeline_add(
        tenant=tenant,
        incident=incident,
        kind=TimelineEntry.Kind.SLA,
        actor=actor,
        body=_("时限按%(tier)s客户、%(severity)s重新计算：%(detail)s")
        % {"tier": Tier(terms.tier).label, "severity": Severity(incident.severity).label, "detail": detail},
        data={"action": "recompute", "tier": terms.tier, "deadlines": changes},
    )
    audit(tenant, actor, "incident.sla_recompute", incident, {"tier": terms.tier, "deadlines": changes})
    return [*moved, *started]


# ------------------------------------------------------------ stopping, reopening (incident_move)


@tenant_service(None)
def sla_clock_stop(*, tenant: Tenant, incident: Incident, kind: str, at: dt.datetime) -> SlaClock | None:
    """The target of `kind` was met at `at`: the clock stops, met in time or breached.

    A paused clock stood still since its pause, so its deadline is first moved by that pause. A clock
    the sweep already marked breached stays breached. Called inside incident_move's transaction.
    """
    clock = next(iter(_locked_clocks(tenant, incident, kind=kind)), None)
    if clock is None or clock.stopped_at is not None:
        return clock
    fields = ["state", "stopped_at", "paused_at"]
    if clock.state == State.PAUSED:
        open_pauses = [pause for pause in clock.pauses.all() if pause.ended_at is None]
        for pause in open_pauses:
            pause.ended_at = at
        SlaPause.objects.bulk_update(open_pauses, ["ended_at"])
        target = policy_targets(*_terms_pair(tenant, incident)).get(kind)
        if target is not None:
            _retime(clock, target, calendar_for_tenant(tenant=tenant), at)
            fields += ["warn_at", "deadline_at", "clock_kind", "policy", "calendar_basis"]
    if clock.state in (State.RUNNING, State.PAUSED):
        clock.state = State.MET if at < clock.deadline_at else State.BREACHED
    clock.stopped_at, clock.paused_at = at, None
    clock.save(update_fields=fields)
    return clock


def _terms_pair(tenant: Tenant, incident: Incident) -> tuple[SlaPolicy | None, SlaPolicy | None]:
    terms = incident_terms(tenant=tenant, incident=incident)
    return terms.policy, terms.source


@tenant_service(None)
def sla_clock_reopen(*, tenant: Tenant, incident: Incident, kind: str) -> SlaClock | None:
    """The target turned out not met (the incident went back): the clock counts again, deadline unchanged.

    The time while it stood stopped is not given back. If that deadline has passed, the clock is
    breached: at once when the sweep already recorded this breach, else at the sweep's next run.
    """
    clock = next(iter(_locked_clocks(tenant, incident, kind=kind)), None)
    if clock is None or clock.stopped_at is None:
        return clock
    clock.stopped_at = None
    clock.state = State.BREACHED if clock.breached_for == clock.deadline_at else State.RUNNING
    clock.save(update_fields=["state", "stopped_at"])
    return clock


@tenant_service(None)
def sla_clocks_cancel(*, tenant: Tenant, incident: Incident, at: dt.datetime) -> int:
    """Closing: clocks still counting (a target added after it was met) stop without an outcome."""
    SlaPause.objects.for_tenant(tenant).filter(clock__incident=incident, ended_at__isnull=True).update(ended_at=at)
    return (
        SlaClock.objects.for_tenant(tenant)
        .filter(incident=incident, stopped_at__isnull=True, state__in=[State.RUNNING, State.PAUSED])
        .update(state=State.CANCELLED, stopped_at=at, paused_at=None)
    )


# The sweep lives in its own module; it is part of this module's interface.
from incidents.services.sla_sweep import SweepResult, sla_sweep  # noqa: E402

__all__ = [
    "SweepResult",
    "sla_clock_reopen",
    "sla_clock_stop",
    "sla_clocks_cancel",
    "sla_clocks_start",
    "sla_pause",
    "sla_policies_ensure",
    "sla_recompute",
    "sla_resume",
    "sla_sweep",
]

"""The SLA sweep: every minute, record each warning and breach exactly once and escalate it.

One indexed query per kind finds the clocks that are due (the partial indexes on running clocks:
`slaclock_warn_idx` on warn_at, `slaclock_deadline_idx` on deadline_at), never a loop over
incidents. A batch is one transaction:

1. the due clocks are locked (FOR UPDATE SKIP LOCKED on PostgreSQL: a second sweep running at
   the same time takes other rows instead of waiting for these);
2. one SlaEvent per clock is inserted with INSERT ... ON CONFLICT DO NOTHING RETURNING: the
   unique (clock, kind, deadline_at) constraint decides who recorded an event, so only the
   transaction that inserted a row escalates it, even with two sweeps or a retried job;
3. the clocks are marked (warned_for / breached_for = the deadline; a breach also sets the state);
4. for the events this batch inserted: timeline entries, notifications (deduplicated by the
   database per recipient and (clock, kind, deadline)), breaches also to the tenant's robot,
   e-mail and portal channels marked for SLA escalations (deduplicated per channel the same
   way; sent by the notify jobs after commit), and one audit event per tenant.

A worker killed mid-batch rolls the whole batch back, and the next sweep does it again. The
statements per batch are a fixed number whatever the batch holds (escalation lookups are batched
in `incidents.services.escalation`), plus one audit event per tenant that had events.

A moved deadline (sla_recompute) is a new (clock, kind, deadline): it warns and breaches again.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import SlaClock, SlaEvent, TimelineEntry
from incidents.services.escalation import MEMBER_FIELDS, USER_FIELDS, Audience, audiences
from yuqing.audit.services import audit_record
from yuqing.notify.models import Channel, Notification
from yuqing.notify.services import Outgoing, notification_send_many, notify_channels, robots
from yuqing.tenancy.context import dangerously_all_tenants
from yuqing.tenancy.models import Membership

WARNING, BREACH = SlaEvent.Kind.WARNING, SlaEvent.Kind.BREACH
BATCH_SIZE = 500


@dataclass
class SweepResult:
    warnings: int = 0  # events this sweep recorded (and escalated)
    breaches: int = 0
    already_recorded: int = 0  # due clocks whose event another sweep had recorded
    notifications: int = 0  # offered; the database skips any sent before
    batches: int = 0


def sla_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Record and escalate every warning and breach due at `now` (default: the current time)."""
    now = now or timezone.now()
    result = SweepResult()
    # A platform job: the clocks of every tenant fall due on the same minute, and one indexed query
    # across tenants is what keeps the sweep's cost flat. Each row written names the clock's own
    # tenant, and the recipients are looked up by that tenant and its departments only.
    with dangerously_all_tenants():
        for kind in (BREACH, WARNING):  # breaches first: a clock past its deadline is not "warned"
            while True:
                with transaction.atomic():
                    found = _sweep_batch(kind, now, batch_size, result)
                if found < batch_size:
                    break
    return result


def _due(kind: str, now: dt.datetime, limit: int) -> list[SlaClock]:
    running = SlaClock.objects.dangerously_all_tenants().filter(state=SlaClock.State.RUNNING)
    if kind == WARNING:
        due = running.filter(warn_at__lte=now, deadline_at__gt=now).exclude(warned_for=F("deadline_at"))
        due = due.order_by("warn_at", "pk")
    else:
        due = running.filter(deadline_at__lte=now).exclude(breached_for=F("deadline_at")).order_by("deadline_at", "pk")
    # Only what the events, messages and audit need: a batch is hundreds of rows over five tables.
    due = due.select_related("tenant", "incident__owner__user").only(
        "tenant_id",
        "incident_id",
        "kind",
        "deadline_at",
        "tenant__time_zone",
        "incident__tenant_id",
        "incident__code",
        "incident__title",
        *(f"incident__owner__{name}" for name in MEMBER_FIELDS),
        *(f"incident__owner__user__{name}" for name in USER_FIELDS),
    )
    return list(due.select_for_update(of=("self",), skip_locked=True)[:limit])


def _insert(model: type, names: tuple[str, ...], rows: list[tuple], *, returning: str = "") -> list[object]:
    """One multi-row INSERT ... ON CONFLICT DO NOTHING [RETURNING column].

    bulk_create(ignore_conflicts=True) cannot say which rows it inserted; this can. Values go
    through each field's own get_db_prep_save, as the ORM would send them.
    """
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {quote(model._meta.get_field(returning).column)}" if returning else ""
    per_statement = max(1, (connection.features.max_query_params or 60_000) // len(fields))
    returned: list[object] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            values = ", ".join([row_sql] * len(chunk))
            # Names come from the model's _meta; every value is a bound parameter.
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING{tail}", params)  # noqa: S608
            if returning:
                returned.extend(row[0] for row in cursor.fetchall())
    return returned


def _insert_events(kind: str, clocks: list[SlaClock], now: dt.datetime) -> set[int]:
    """Insert one event per clock; return the clocks whose event this statement inserted.

    ON CONFLICT DO NOTHING on the unique (clock, kind, deadline_at): a row another transaction
    inserted (committed, or in flight: then this statement waits for it) is skipped and not returned.
    """
    rows = [(clock.tenant_id, clock.pk, kind, clock.deadline_at, now) for clock in clocks]
    return set(_insert(SlaEvent, ("tenant", "clock", "kind", "deadline_at", "created_at"), rows, returning="clock"))


def _sweep_batch(kind: str, now: dt.datetime, limit: int, result: SweepResult) -> int:
    clocks = _due(kind, now, limit)
    if not clocks:
        return 0
    result.batches += 1
    inserted = _insert_events(kind, clocks, now)
    # Every due clock is marked, recorded by us or not, so a clock whose event exists (a run that
    # got this far before) leaves the due set and the loop ends.
    marks: dict[str, object] = {"warned_for": F("deadline_at")}
    if kind == BREACH:
        marks = {"breached_for": F("deadline_at"), "state": SlaClock.State.BREACHED}
    SlaClock.objects.dangerously_all_tenants().filter(pk__in=[clock.pk for clock in clocks]).update(**marks)
    fresh = [clock for clock in clocks if clock.pk in inserted]
    result.already_recorded += len(clocks) - len(fresh)
    if kind == WARNING:
        result.warnings += len(fresh)
    else:
        result.breaches += len(fresh)
    if fresh:
        _escalate(kind, fresh, result)
    return len(clocks)


# ------------------------------------------------------------------------------------- escalation


def _incident_links() -> str:
    """The detail page's path with "{pk}" in place of the id: reversed once per batch, not per row."""
    try:
        return reverse("incidents:incident-detail", kwargs={"pk": 2147483647}).replace("2147483647", "{pk}")
    except NoReverseMatch:
        return ""


def _names(members: list[Membership]) -> str:
    return "、".join(str(member.user) for member in members)


@dataclass(frozen=True)
class _Messages:
    """The texts of one batch, translated once rather than per row (a batch is hundreds of rows)."""

    clocks: dict[str, str]
    warning_body: str
    warning_title: str
    breach_body: str
    breach_title: str
    escalation_title: str
    escalated: str
    nobody: str
    who: tuple[str, str, str, str]  # owner, assignees, heads, duty managers

    @classmethod
    def build(cls) -> _Messages:
        return cls(
            clocks={value: str(label) for value, label in SlaClock.Kind.choices},
            warning_body=_("%(clock)s时限即将到期，截止 %(at)s。"),
            warning_title=_("【即将超时】%(code)s %(clock)s截止 %(at)s"),
            breach_body=_("%(clock)s已超时，截止时间 %(at)s。"),
            breach_title=_("【已超时】%(code)s %(clock)s已超过截止时间 %(at)s"),
            escalation_title=_("【超时升级】%(code)s %(title)s：%(clock)s已超时"),
            escalated=_("超时升级，已通知：%(who)s。"),
            nobody=_("超时升级：未找到可通知的成员，请指定负责人并设置部门主管与值班主管。"),
            who=(_("负责人"), _("任务承办人"), _("部门负责人"), _("值班主管")),
        )

    def recipients(self, audience: Audience) -> str:
        groups = ([audience.owner] if audience.owner else [], audience.assignees, audience.heads, audience.duty)
        return "；".join(
            f"{label} {_names(members)}" for label, members in zip(self.who, groups, strict=True) if members
        )


def _escalate(kind: str, clocks: list[SlaClock], result: SweepResult) -> None:
    heard = audiences({clock.incident_id: clock.incident for clock in clocks}.values(), breach=kind == BREACH)
    texts = _Messages.build()
    links = _incident_links()
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    entries: list[TimelineEntry] = []
    outgoing: list[Outgoing] = []
    by_tenant: dict[int, list[SlaClock]] = defaultdict(list)
    for clock in clocks:
        incident, audience = clock.incident, heard[clock.incident_id]
        by_tenant[clock.tenant_id].append(clock)
        zone = zones.setdefault(clock.tenant.time_zone, zoneinfo.ZoneInfo(clock.tenant.time_zone))
        names = {
            "code": incident.code,
            "title": incident.title,
            "clock": texts.clocks[clock.kind],
            "at": clock.deadline_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        }
        key = f"sla:{clock.pk}:{kind}:{clock.deadline_at.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}"
        data = {"event": kind, "clock": clock.kind, "deadline_at": clock.deadline_at.isoformat()}
        link = links.format(pk=incident.pk)
        if kind == WARNING:
            entries.append(_entry(clock, TimelineEntry.Kind.SLA, texts.warning_body % names, data))
            title = texts.warning_title % names
            for member in audience.everyone():
                outgoing.append(Outgoing(member, Notification.Kind.SLA_WARNING, title, incident.title, link, key))
            continue
        entries.append(_entry(clock, TimelineEntry.Kind.SLA, texts.breach_body % names, data))
        who = texts.recipients(audience)
        escalated = texts.escalated % {"who": who} if who else texts.nobody
        entries.append(_entry(clock, TimelineEntry.Kind.ESCALATION, escalated, data))
        if audience.owner is not None:
            title = texts.breach_title % names
            outgoing.append(Outgoing(audience.owner, Notification.Kind.SLA_BREACH, title, incident.title, link, key))
        title = texts.escalation_title % names
        for member in [*audience.assignees, *audience.heads, *audience.duty]:
            outgoing.append(Outgoing(member, Notification.Kind.ESCALATION, title, incident.title, link, key))
    TimelineEntry.objects.bulk_create(entries)
    result.notifications += notification_send_many(outgoing=outgoing)
    if kind == BREACH:
        _to_channels(clocks, texts, links, heard)
    # Last, and in tenant order: audit_record locks the tenant row (see services.common.audit).
    for tenant_id in sorted(by_tenant):
        recorded = by_tenant[tenant_id]
        audit_record(
            tenant=recorded[0].tenant,
            actor=None,
            action=f"incident.sla_{kind}",
            object_type=SlaEvent._meta.label_lower,
            object_repr=_("%(count)d 项时限%(kind)s") % {"count": len(recorded), "kind": SlaEvent.Kind(kind).label},
            changes={
                "events": [
                    {"incident": c.incident.code, "clock": c.kind, "deadline_at": c.deadline_at.isoformat()}
                    for c in recorded
                ]
            },
        )


def _to_channels(clocks: list[SlaClock], texts: _Messages, links: str, heard: dict[int, Audience]) -> None:
    """Breaches to the channels each tenant marked for SLA escalations: one query per tenant with
    breaches, then a delivery per breach and channel (the robots' digests merge bursts)."""
    by_tenant: dict[int, list[SlaClock]] = defaultdict(list)
    for clock in clocks:
        by_tenant[clock.tenant_id].append(clock)
    for recorded in by_tenant.values():
        tenant = recorded[0].tenant
        channels = list(Channel.objects.for_tenant(tenant).filter(is_active=True, sla_escalations=True))
        if not channels:
            continue
        zone = zoneinfo.ZoneInfo(tenant.time_zone)
        for clock in recorded:
            incident = clock.incident
            names = {
                "code": incident.code,
                "title": incident.title,
                "clock": texts.clocks[clock.kind],
                "at": clock.deadline_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            }
            who = texts.recipients(heard[clock.incident_id])
            escalated = texts.escalated % {"who": who} if who else texts.nobody
            notify_channels(
                tenant=tenant,
                channels=channels,
                title=texts.escalation_title % names,
                body=f"{robots.escape_markdown(incident.title)}\n{escalated}",
                level=incident.severity,
                link=links.format(pk=incident.pk),
                dedupe_key=f"sla:{clock.pk}:breach:{clock.deadline_at.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}",
            )


def _entry(clock: SlaClock, kind: str, body: str, data: dict[str, str]) -> TimelineEntry:
    return TimelineEntry(tenant_id=clock.tenant_id, incident_id=clock.incident_id, kind=kind, body=body, data=data)

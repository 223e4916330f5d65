"""Sending a raised or upgraded warning to the tenant's channels through its WarningRoute rules.

A route matches a warning of its `min_level` or more severe (level number ≤ min_level). Inside the
route's quiet period the message is handed to notify_channels with `hold_until` = the end of that
period; a red warning is never held. The quiet period is the union of the nightly quiet hours
(local wall time, may span midnight) and, when the route says so, whole non-working days — weekends
and statutory holidays, but not make-up working days (调休), per the tenant's business calendar
(yuqing.workcalendar: its overrides, then the State Council schedule, then Monday–Friday).
A channel reached by two routes gets one message, held until the earlier of their ends.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record, changes_between
from yuqing.monitoring.models import Level, RiskWarning, WarningRoute
from yuqing.notify import services as notify_services
from yuqing.notify.models import Channel
from yuqing.notify.services import robots
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission
from yuqing.tenancy.selectors import get_for_tenant
from yuqing.workcalendar.deadlines import Calendar, is_working_day
from yuqing.workcalendar.selectors import calendar_for_tenant

# More than a year of consecutive quiet days means a misconfigured calendar: send rather than hold forever.
MAX_QUIET_STEPS = 800


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str = ""


def _in_quiet_hours(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # spans midnight


def _quiet_hours_end(local: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime:
    day = local.date()
    if start > end and local.time() >= start:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def quiet_until(
    *,
    moment: dt.datetime,
    calendar: Calendar,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    quiet_on_non_working_days: bool = False,
) -> dt.datetime | None:
    """The end of the quiet period `moment` lies in (aware, tenant time), or None when sending is allowed."""
    has_hours = quiet_start is not None and quiet_end is not None and quiet_start != quiet_end
    if not has_hours and not quiet_on_non_working_days:
        return None
    local = moment.astimezone(calendar.time_zone)
    for _step in range(MAX_QUIET_STEPS):
        if quiet_on_non_working_days and not is_working_day(calendar, local.date()):
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=local.tzinfo)
        elif has_hours and _in_quiet_hours(local.time(), quiet_start, quiet_end):  # type: ignore[arg-type]
            local = _quiet_hours_end(local, quiet_start, quiet_end)  # type: ignore[arg-type]
        else:
            break
    else:
        return None
    return None if local == moment else local


def route_hold_until(route: WarningRoute, *, level: int, moment: dt.datetime, calendar: Calendar) -> dt.datetime | None:
    if level == Level.RED:
        return None
    return quiet_until(
        moment=moment,
        calendar=calendar,
        quiet_start=route.quiet_start,
        quiet_end=route.quiet_end,
        quiet_on_non_working_days=route.quiet_on_non_working_days,
    )


def active_routes(*, tenant: Tenant) -> list[WarningRoute]:
    return list(
        WarningRoute.objects.for_tenant(tenant)
        .filter(is_active=True, channel__is_active=True)
        .select_related("channel")
        .order_by("pk")
    )


def warnings_route(*, tenant: Tenant, events: list[tuple[RiskWarning, int, Message]], moment: dt.datetime) -> int:
    """Hand each (warning, level reached, message) to the channels of the matching routes.

    One query for the routes (two more for the calendar when a route is quiet on non-working
    days), then one notify_channels call per warning and hold time. Returns the calls made.
    """
    if not events:
        return 0
    routes = active_routes(tenant=tenant)
    if not routes:
        return 0
    if any(route.quiet_on_non_working_days for route in routes):
        calendar = calendar_for_tenant(tenant=tenant)
    else:
        calendar = Calendar(time_zone=zoneinfo.ZoneInfo(tenant.time_zone))
    calls = 0
    for warning, level, message in events:
        holds: dict[int, tuple[object, dt.datetime | None]] = {}
        for route in routes:
            if level > route.min_level:
                continue
            hold = route_hold_until(route, level=level, moment=moment, calendar=calendar)
            known = holds.get(route.channel_id)
            if known is None or (known[1] is not None and (hold is None or hold < known[1])):
                holds[route.channel_id] = (route.channel, hold)
        by_hold: dict[dt.datetime | None, list[object]] = {}
        for channel, hold in holds.values():
            by_hold.setdefault(hold, []).append(channel)
        for hold, channels in by_hold.items():
            notify_services.notify_channels(
                tenant=tenant,
                channels=channels,
                title=robots.escape_markdown(message.title),
                body=robots.escape_markdown(message.body),
                level=level,
                link=message.link,
                dedupe_key=f"warning:{warning.pk}:{level}",
                hold_until=hold,
            )
            calls += 1
    return calls


@tenant_service(Permission.CONFIGURE)
def warning_route_create(
    *,
    tenant: Tenant,
    actor: User | None,
    name: str,
    channel: Channel,
    min_level: int = Level.YELLOW,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    quiet_on_non_working_days: bool = False,
    is_active: bool = True,
) -> WarningRoute:
    """A new route (configuration: the tenant's admins, or platform code with actor=None)."""
    if channel.tenant_id != tenant.pk:
        raise ValidationError({"channel": _("通知渠道不属于本机构。")})
    route = WarningRoute(
        tenant=tenant,
        name=(name or "").strip(),
        channel=channel,
        min_level=min_level,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        quiet_on_non_working_days=quiet_on_non_working_days,
        is_active=is_active,
    )
    route.full_clean()
    route.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="warning_route.create",
        target=route,
        changes={
            "name": route.name,
            "channel": channel.pk,
            "min_level": route.min_level,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "quiet_on_non_working_days": quiet_on_non_working_days,
        },
    )
    return route


def _route_snapshot(route: WarningRoute) -> dict[str, object]:
    return {
        "name": route.name,
        "channel": route.channel_id,
        "min_level": route.min_level,
        "quiet_start": route.quiet_start,
        "quiet_end": route.quiet_end,
        "quiet_on_non_working_days": route.quiet_on_non_working_days,
        "is_active": route.is_active,
    }


@tenant_service(Permission.CONFIGURE)
def warning_route_update(
    *,
    tenant: Tenant,
    actor: User | None,
    route: WarningRoute,
    name: str,
    channel: Channel,
    min_level: int,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    quiet_on_non_working_days: bool = False,
    is_active: bool = True,
) -> WarningRoute:
    """Change a route (the same checks as warning_route_create); audited with what changed."""
    if channel.tenant_id != tenant.pk:
        raise ValidationError({"channel": _("通知渠道不属于本机构。")})
    locked = get_for_tenant(WarningRoute.objects.for_tenant(tenant).select_for_update(), tenant=tenant, pk=route.pk)
    before = _route_snapshot(locked)
    locked.name = (name or "").strip()
    locked.channel = channel
    locked.min_level = min_level
    locked.quiet_start = quiet_start
    locked.quiet_end = quiet_end
    locked.quiet_on_non_working_days = quiet_on_non_working_days
    locked.is_active = is_active
    locked.full_clean()
    locked.save()
    changes = changes_between(before, _route_snapshot(locked))
    if changes:
        audit_record(tenant=tenant, actor=actor, action="warning_route.update", target=locked, changes=changes)
    return locked

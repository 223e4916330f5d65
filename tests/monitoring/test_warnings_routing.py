"""Routing warnings to channels: matching levels, quiet hours, statutory holidays and make-up working days."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tests.monitoring.warnings_support import (
    at,
    channel_calls_fixture,  # noqa: F401 -- the channel_calls fixture
    customer,
    scored,
)
from yuqing.monitoring.models import Level, WarningRoute
from yuqing.monitoring.services.warnings import quiet_until, warning_route_create, warnings_process
from yuqing.notify.models import Channel, Delivery
from yuqing.workcalendar.deadlines import Calendar
from yuqing.workcalendar.models import CalendarOverride
from yuqing.workcalendar.selectors import calendar_for_tenant

NIGHT = {"quiet_start": dt.time(22, 0), "quiet_end": dt.time(8, 0)}
CAL = Calendar()


def hold(moment: dt.datetime, **route: object) -> dt.datetime | None:
    return quiet_until(moment=moment, calendar=CAL, **route)


# ------------------------------------------------------------------------------ quiet hours, pure


def test_outside_quiet_hours_nothing_is_held() -> None:
    assert hold(at(2026, 3, 3, 10, 0), **NIGHT) is None
    assert hold(at(2026, 3, 3, 10, 0)) is None


def test_quiet_hours_spanning_midnight_hold_until_the_morning() -> None:
    assert hold(at(2026, 3, 3, 23, 0), **NIGHT) == at(2026, 3, 4, 8, 0)
    assert hold(at(2026, 3, 4, 2, 30), **NIGHT) == at(2026, 3, 4, 8, 0)
    assert hold(at(2026, 3, 4, 8, 0), **NIGHT) is None


def test_quiet_hours_within_a_day() -> None:
    lunch = {"quiet_start": dt.time(12, 0), "quiet_end": dt.time(13, 30)}
    assert hold(at(2026, 3, 3, 12, 15), **lunch) == at(2026, 3, 3, 13, 30)
    assert hold(at(2026, 3, 3, 13, 30), **lunch) is None


def test_a_weekend_is_quiet_until_monday_and_its_quiet_hours() -> None:
    friday_night = at(2026, 3, 6, 23, 0)
    assert hold(friday_night, **NIGHT, quiet_on_non_working_days=True) == at(2026, 3, 9, 8, 0)
    assert hold(at(2026, 3, 7, 15, 0), quiet_on_non_working_days=True) == at(2026, 3, 9, 0, 0)
    assert hold(at(2026, 3, 7, 15, 0), **NIGHT) is None  # weekends only quiet when the route says so


def test_a_statutory_holiday_counts_as_non_working() -> None:
    # 国庆 2026: 10-01 to 10-07 off, 10-08 (Thursday) the first working day.
    assert hold(at(2026, 10, 1, 10, 0), quiet_on_non_working_days=True) == at(2026, 10, 8, 0, 0)
    assert hold(at(2026, 10, 1, 10, 0), **NIGHT, quiet_on_non_working_days=True) == at(2026, 10, 8, 8, 0)


def test_a_make_up_working_day_counts_as_working() -> None:
    # 调休: Saturday 2026-10-10 and Saturday 2026-02-14 are working days; Saturday 10-17 is not.
    assert hold(at(2026, 10, 10, 10, 0), quiet_on_non_working_days=True) is None
    assert hold(at(2026, 2, 14, 10, 0), quiet_on_non_working_days=True) is None
    assert hold(at(2026, 10, 17, 10, 0), quiet_on_non_working_days=True) == at(2026, 10, 19, 0, 0)


def test_the_tenants_own_calendar_overrides_count(tenant_a) -> None:
    CalendarOverride.objects.create(
        tenant=tenant_a, date=dt.date(2026, 3, 4), kind=CalendarOverride.Kind.DAY_OFF, note="司庆"
    )
    calendar = calendar_for_tenant(tenant=tenant_a)
    moment = at(2026, 3, 4, 10, 0)
    assert quiet_until(moment=moment, calendar=calendar, quiet_on_non_working_days=True) == at(2026, 3, 5, 0, 0)


# ------------------------------------------------------------------------------- through warnings


@pytest.fixture
def channels(tenant_a) -> dict[str, Channel]:
    return {
        name: Channel.objects.create(tenant=tenant_a, name=name, kind=Channel.Kind.PORTAL)
        for name in ("值班群", "客服群", "周末群")
    }


@pytest.fixture
def routes(tenant_a, channels) -> dict[str, WarningRoute]:
    return {
        "night": warning_route_create(
            tenant=tenant_a, actor=None, name="黄色及以上", channel=channels["值班群"], min_level=Level.YELLOW, **NIGHT
        ),
        "orange": warning_route_create(
            tenant=tenant_a, actor=None, name="橙色及以上", channel=channels["客服群"], min_level=Level.ORANGE
        ),
    }


@pytest.mark.django_db
def test_at_night_on_a_workday_yellow_is_held_and_red_is_not(tenant_a, routes, channels, channel_calls) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    with time_machine.travel(at(2026, 3, 3, 23, 0), tick=False):
        [warning] = warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=60)])
        [yellow] = channel_calls.for_level(Level.YELLOW)
        assert yellow["channels"] == [channels["值班群"]]  # the orange route does not take yellow
        assert yellow["hold_until"] == at(2026, 3, 4, 8, 0)
        assert yellow["dedupe_key"] == f"warning:{warning.pk}:{Level.YELLOW}"
        assert yellow["title"] == warning.story.title

        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=90)])
        [red] = channel_calls.for_level(Level.RED)
        assert set(red["channels"]) == {channels["值班群"], channels["客服群"]}
        assert red["hold_until"] is None


@pytest.mark.django_db
def test_more_mentions_at_the_same_level_route_nothing_more(tenant_a, routes, channel_calls) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        for _ in range(5):
            warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=60)])
    assert len(channel_calls.calls) == 1
    assert channel_calls.calls[0]["hold_until"] is None


@pytest.mark.django_db
def test_a_route_quiet_on_holidays_holds_orange_on_national_day(tenant_a, channels, channel_calls) -> None:
    warning_route_create(
        tenant=tenant_a,
        actor=None,
        name="节假日免打扰",
        channel=channels["周末群"],
        min_level=Level.ORANGE,
        quiet_on_non_working_days=True,
    )
    with time_machine.travel(at(2026, 10, 1, 10, 0), tick=False):
        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, score=72)])
        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, score=90)])
    orange, red = channel_calls.calls
    assert orange["hold_until"] == at(2026, 10, 8, 0, 0)
    assert red["hold_until"] is None


@pytest.mark.django_db
def test_deliveries_are_queued_or_held_through_notify(tenant_a, routes, channels) -> None:
    acme = customer(tenant_a, "华信置业有限公司")
    with time_machine.travel(at(2026, 3, 3, 23, 0), tick=False):
        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=60)])
        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=90)])
        warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, customers=[acme], score=92)])
    deliveries = Delivery.objects.for_tenant(tenant_a).order_by("pk")
    assert [(d.channel.name, d.level, d.status) for d in deliveries] == [
        ("值班群", Level.YELLOW, Delivery.Status.HELD),
        ("值班群", Level.RED, Delivery.Status.QUEUED),
        ("客服群", Level.RED, Delivery.Status.QUEUED),
    ]
    assert deliveries[0].next_attempt_at == at(2026, 3, 4, 8, 0)


@pytest.mark.django_db
def test_inactive_routes_and_channels_are_skipped(tenant_a, routes, channels, channel_calls) -> None:
    WarningRoute.objects.for_tenant(tenant_a).filter(pk=routes["night"].pk).update(is_active=False)
    Channel.objects.for_tenant(tenant_a).filter(pk=channels["客服群"].pk).update(is_active=False)
    warnings_process(tenant=tenant_a, mentions=[scored(tenant_a, score=90)])
    assert channel_calls.calls == []


@pytest.mark.django_db
def test_routes_are_per_tenant(tenant_a, tenant_b, routes, channel_calls) -> None:
    warnings_process(tenant=tenant_b, mentions=[scored(tenant_b, score=90)])
    assert channel_calls.calls == []


@pytest.mark.django_db
def test_creating_a_route_validates_and_needs_the_configure_permission(
    tenant_a, tenant_b, channels, handler_a, admin_a
) -> None:
    with pytest.raises(ValidationError) as caught:
        warning_route_create(
            tenant=tenant_a, actor=None, name="半截", channel=channels["值班群"], quiet_start=dt.time(22, 0)
        )
    assert "quiet_end" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        warning_route_create(tenant=tenant_a, actor=handler_a.user, name="越权", channel=channels["值班群"])
    foreign = Channel.objects.create(tenant=tenant_b, name="别家", kind=Channel.Kind.PORTAL)
    with pytest.raises(ValidationError):
        warning_route_create(tenant=tenant_a, actor=admin_a.user, name="别家的渠道", channel=foreign)
    route = warning_route_create(tenant=tenant_a, actor=admin_a.user, name="正常", channel=channels["值班群"])
    assert route.min_level == Level.YELLOW

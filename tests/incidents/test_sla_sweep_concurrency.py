"""Two sweeps at once still record and escalate each breach exactly once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.db.models import F

from incidents.models import Severity, SlaClock, SlaEvent, TimelineEntry
from incidents.services import sla_sweep as sweep_module
from incidents.services.sla import SweepResult, sla_sweep
from tests.incidents.factories import department_of, member, open_incident
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Department, Role
from yuqing.tenancy.services import tenant_create

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(minutes=31)
CASES = 20

pytestmark = pytest.mark.postgres


def _desk():
    tenant = tenant_create(slug="sweep-race", name="并发巡检")
    owner = member(tenant, "owner", Role.HANDLER, Department.Kind.PR)
    member(tenant, "pr_head", Role.MANAGER, Department.Kind.PR)
    member(tenant, "duty", Role.MANAGER, Department.Kind.MANAGEMENT)
    with time_machine.travel(T0, tick=False):
        for _ in range(CASES):
            open_incident(
                tenant,
                owner.user,
                severity=Severity.I,
                owner=owner,
                departments=[department_of(tenant, Department.Kind.PR)],
            )
    return tenant


def _race(sweeps: int = 2) -> list[SweepResult]:
    start = threading.Barrier(sweeps)
    results: list[SweepResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(sla_sweep(now=NOW))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(sweeps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def _assert_exactly_once(tenant, results: list[SweepResult]) -> None:
    assert sum(result.breaches for result in results) == CASES
    assert SlaEvent.objects.for_tenant(tenant).filter(kind="breach").count() == CASES
    assert TimelineEntry.objects.for_tenant(tenant).filter(kind="escalation").count() == CASES
    notes = Notification.objects.for_tenant(tenant).exclude(kind="assignment")
    # owner (breach), PR head and duty manager (escalation): once each per clock
    assert notes.count() == CASES * 3
    assert notes.filter(kind="sla_breach").count() == CASES
    clocks = SlaClock.objects.for_tenant(tenant).filter(kind="first_response")
    assert clocks.filter(state="breached", breached_for=F("deadline_at")).count() == CASES


def test_two_concurrent_sweeps_escalate_each_breach_once(transactional_db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = _desk()
    _assert_exactly_once(tenant, _race())


def test_the_unique_constraint_decides_when_both_sweeps_took_the_same_clocks(transactional_db, monkeypatch) -> None:
    """Without the row locks both sweeps select the same clocks; the INSERT ... ON CONFLICT still lets
    only one of them record, and only that one escalates."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = _desk()
    both_selected = threading.Barrier(2)
    insert_events = sweep_module._insert_events

    def unlocked_due(kind: str, now: dt.datetime, limit: int) -> list[SlaClock]:
        if kind != sweep_module.BREACH:
            return []
        due = (
            SlaClock.objects.dangerously_all_tenants()
            .filter(state="running", deadline_at__lte=now)
            .exclude(breached_for=F("deadline_at"))
        )
        return list(due.select_related("tenant", "incident__owner__user").order_by("deadline_at", "pk")[:limit])

    def insert_together(kind: str, clocks: list[SlaClock], now: dt.datetime) -> set[int]:
        both_selected.wait(timeout=30)
        return insert_events(kind, clocks, now)

    monkeypatch.setattr(sweep_module, "_due", unlocked_due)
    monkeypatch.setattr(sweep_module, "_insert_events", insert_together)
    results = _race()

    _assert_exactly_once(tenant, results)
    assert sorted(result.already_recorded for result in results) == [0, CASES]

"""Read queries: the list with its SLA state and filters, the board, the timeline; all tenant-scoped."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.http import Http404

from incidents.models import Phase, Severity
from incidents.selectors import incident_board, incident_get, incident_list, timeline
from incidents.services.incidents import incident_note_add
from incidents.services.sla import sla_pause, sla_sweep
from tests.incidents.factories import advance_to, open_incident

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def cases(tenant_a, admin_a):
    with time_machine.travel(T0, tick=False):
        on_track = open_incident(tenant_a, admin_a.user, severity=Severity.IV, title="正常")
        at_risk = open_incident(tenant_a, admin_a.user, severity=Severity.I, title="即将超时")
    with time_machine.travel(T0 - dt.timedelta(hours=2), tick=False):
        breached = open_incident(tenant_a, admin_a.user, severity=Severity.I, title="已超时")
        paused = open_incident(tenant_a, admin_a.user, severity=Severity.IV, title="已暂停")
        sla_pause(tenant=tenant_a, actor=admin_a.user, incident=paused, reason="等待客户")
    return {"on_track": on_track, "at_risk": at_risk, "breached": breached, "paused": paused}


def test_the_list_annotates_each_incidents_sla_state(tenant_a, cases) -> None:
    now = T0 + dt.timedelta(minutes=25)
    sla_sweep(now=now)
    states = {i.title: i.sla_state for i in incident_list(tenant=tenant_a, now=now)}
    assert states == {"正常": "on_track", "即将超时": "at_risk", "已超时": "breached", "已暂停": "paused"}


@pytest.mark.parametrize("state", ["on_track", "at_risk", "breached", "paused"])
def test_the_list_filters_by_sla_state(tenant_a, cases, state) -> None:
    now = T0 + dt.timedelta(minutes=25)
    with time_machine.travel(now, tick=False):
        found = list(incident_list(tenant=tenant_a, filters={"sla": state}))
    assert found == [cases[state]]


def test_the_list_and_the_page_hide_other_tenants(tenant_a, tenant_b, admin_b, cases) -> None:
    foreign = open_incident(tenant_b, admin_b.user)
    assert foreign not in incident_list(tenant=tenant_a)
    with pytest.raises(Http404):
        incident_get(tenant=tenant_a, pk=foreign.pk)
    assert incident_get(tenant=tenant_a, pk=cases["paused"].pk) == cases["paused"]


def test_the_board_has_a_column_per_open_phase(tenant_a, admin_a, cases) -> None:
    advance_to(cases["on_track"], Phase.PLANNING, actor=admin_a.user)
    columns = incident_board(tenant=tenant_a)
    assert [c.phase for c in columns] == [
        Phase.RESPONSE,
        Phase.ANALYSIS,
        Phase.PLANNING,
        Phase.IMPLEMENTATION,
        Phase.REVIEW,
    ]
    totals = {c.phase: c.total for c in columns}
    assert (totals[Phase.RESPONSE], totals[Phase.PLANNING]) == (3, 1)
    response = next(c for c in columns if c.phase == Phase.RESPONSE)
    assert [i.severity for i in response.incidents] == [1, 1, 4]  # most severe first
    assert all(hasattr(i, "sla_state") for i in response.incidents)


def test_the_timeline_is_newest_first_and_filters_by_kind(tenant_a, admin_a, cases) -> None:
    incident = cases["on_track"]
    # After the cases were opened at T0, whatever the wall clock says.
    with time_machine.travel(T0 + dt.timedelta(hours=1)):
        incident_note_add(tenant=tenant_a, actor=admin_a.user, incident=incident, body="第一条")
        incident_note_add(
            tenant=tenant_a, actor=admin_a.user, incident=incident, body="第二条", kind="communication_out"
        )
    entries = list(timeline(tenant=tenant_a, incident=incident))
    assert entries[0].body == "第二条"
    out = list(timeline(tenant=tenant_a, incident=incident, kinds=["communication_out", "bogus"]))
    assert [e.body for e in out] == ["第二条"]

"""The demo shows the same phases and SLA states whenever it is seeded: any hour, weekends,
Spring Festival, a make-up working Saturday, and New Year's Eve (deadlines falling into 2027,
a year chinese-calendar 1.11 has no data for, so the calendar falls back to Monday–Friday).

Two layers, to keep the suite fast: at every hour of those days the demo's placements (the time
each incident was found, each complaint received) are computed and the state they lead to is
checked from the clocks the SLA service computes; at a few of those instants, among them the
hours that used to fail (00:00–04:00 Shanghai), the incidents and feedback are really seeded
through the services and each incident's state is read back as the portal shows it. The whole
`seed_demo` runs under frozen time in tests/incidents/test_portal_demo.py and test_seed_demo.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from customers.demo import DEMO_ITEMS, receipt_due_by, seed_customers_and_feedback, seed_feedback
from customers.models import Customer, Feedback
from customers.selectors.feedback import due_soon_window, feedback_due_soon, feedback_overdue
from customers.services.policies import complaint_policy_default, policy_deadline
from incidents.demo import _Seeder, seed_incidents
from incidents.demo.content import DEMO_INCIDENTS, MET, DemoIncident
from incidents.models import PHASE_ORDER, Incident, Phase, SlaEvent
from incidents.selectors.sla import AT_RISK, BREACHED, ON_TRACK, PAUSED, sla_state_annotation
from incidents.services.sla import ClockTarget
from yuqing.tenancy.demo import DemoData, seed_tenants_and_staff
from yuqing.tenancy.models import Membership, Tenant
from yuqing.workcalendar.deadlines import Calendar, deadline, elapsed_share, is_working_day
from yuqing.workcalendar.selectors import calendar_for_tenant

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = {
    "weekday": dt.date(2026, 12, 3),  # a Thursday
    "weekend": dt.date(2026, 12, 6),  # a Sunday
    "spring festival eve": dt.date(2026, 2, 16),  # 除夕, inside the nine days off
    "make-up working saturday": dt.date(2026, 2, 14),
    "new year's eve": dt.date(2026, 12, 31),  # deadlines run into 2027 (Monday–Friday fallback)
}
# Where the demo really gets seeded: the hours that used to fail, an evening and the last minutes of a day.
SEEDED_AT = ((1, 30), (23, 30))
# The customers are made once, before every instant below: their own times do not matter here.
CUSTOMERS_MADE_AT = dt.datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI)
STATES = {ON_TRACK, AT_RISK, BREACHED, PAUSED}
DUE_SOON_BY = dt.timedelta(days=max(item.due_in_days or 0 for item in DEMO_ITEMS))


@pytest.fixture(autouse=True)
def fast_hasher(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def instants() -> Iterator[tuple[str, dt.datetime]]:
    for name, day in DAYS.items():
        for hour in range(24):
            # Half past, and on the eve of a new year the minute before midnight too.
            yield name, dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)
        yield name, dt.datetime.combine(day, dt.time(23, 59), tzinfo=SHANGHAI)


def predicted_state(spec: DemoIncident, targets: dict[str, ClockTarget], opened_at, now, cal: Calendar) -> str:
    """The state incidents.selectors.sla gives once the seed has moved the incident to `spec.phase` at `now`.

    The seed meets the first response (leaving 响应与信息收集) and the resolution (entering 复盘) at
    `now`, so a clock shows breached exactly when its deadline is not after `now`, stopped or not.
    """
    phase = PHASE_ORDER.index(Phase(spec.phase))
    stopped = {"first_response": phase > 0, "resolution": phase >= PHASE_ORDER.index(Phase.REVIEW)}
    shares = {}  # the share of each clock used at `now`: 1 at its deadline (warn_at: at the warn share)
    for kind, target in targets.items():
        deadline_at = deadline(cal, target.clock_kind, opened_at, target.amount)
        shares[kind] = 1.0 if deadline_at <= now else elapsed_share(cal, target.clock_kind, opened_at, deadline_at, now)
    running = {kind for kind in targets if not stopped[kind]}
    if spec.pause_reason and not any(shares[kind] < 1 for kind in running):
        return "the seed fails: no clock left to pause"
    if any(share >= 1 for share in shares.values()):
        return BREACHED
    if spec.pause_reason:
        return PAUSED
    if any(shares[kind] >= float(targets[kind].warn_share) for kind in running):
        return AT_RISK
    return MET if spec.phase == Phase.CLOSED else ON_TRACK


def due_soon_possible(cal: Calendar, now: dt.datetime, within: dt.timedelta) -> bool:
    """Whether any due time can fall within (now, now + within]: they all fall at the end of a working day."""
    day, last = now.date(), (now + within).date()
    while day <= last:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
        if now < end <= now + within and is_working_day(cal, day):
            return True
        day += dt.timedelta(days=1)
    return False


def seeded_states(tenant: Tenant, now: dt.datetime) -> dict[str, str]:
    rows = Incident.objects.for_tenant(tenant).annotate(state=sla_state_annotation(tenant=tenant, now=now))
    return dict(rows.values_list("title", "state"))


class _Undo(Exception):
    pass


def test_the_demo_shows_every_phase_and_sla_state_at_every_hour_of_awkward_days(db, caplog):
    caplog.set_level(logging.ERROR)  # the calendar warns about its 2027 guess at every deadline
    with time_machine.travel(CUSTOMERS_MADE_AT, tick=False):
        demo = DemoData(log=lambda line: None)
        seed_tenants_and_staff(demo)
        seed_customers_and_feedback(demo)

    seeders = {slug: _Seeder(tenant) for slug, tenant in demo.tenants.items()}
    for slug, seeder in seeders.items():
        links = {spec.title: seeder.links(spec, index)[0] for index, spec in enumerate(DEMO_INCIDENTS[slug])}
        policy = complaint_policy_default(tenant=seeder.tenant)
        wanted = {spec.sla_state for spec in DEMO_INCIDENTS[slug]}
        assert wanted >= STATES | {MET}, slug
        for day, now in instants():
            seeder.now = now
            for spec in DEMO_INCIDENTS[slug]:
                opened_at = seeder.opened_at(spec, links[spec.title])
                assert opened_at <= now, (slug, spec.title, now)
                state = predicted_state(spec, seeder.targets(spec, links[spec.title]), opened_at, now, seeder.calendar)
                assert state == spec.sla_state, (day, now, slug, spec.title, opened_at)
            for item in DEMO_ITEMS:
                if item.due_in_days is None:
                    continue
                wanted_by = now + dt.timedelta(days=item.due_in_days)
                received_at = receipt_due_by(policy, seeder.calendar, now, wanted_by)
                due_at = policy_deadline(policy=policy, calendar=seeder.calendar, received_at=received_at).at
                assert received_at <= now and due_at <= wanted_by, (day, now, item.subject)
                if item.due_in_days > 0 and due_soon_possible(seeder.calendar, now, wanted_by - now):
                    assert due_at > now, (day, now, item.subject, due_at)

    for name, day in DAYS.items():
        for hour, minute in SEEDED_AT:
            now = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
            try:
                with transaction.atomic(), time_machine.travel(now, tick=False):
                    check_a_real_seed(demo, name, now)
                    raise _Undo
            except _Undo:
                pass


def check_a_real_seed(demo: DemoData, name: str, now: dt.datetime) -> None:
    for tenant in demo.tenants.values():
        # Received again at this instant, as a fresh seed would (the incidents link one of them).
        Feedback.objects.for_tenant(tenant).delete()
        members = Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user", "department")
        customers = list(Customer.objects.for_tenant(tenant).order_by("pk"))
        seed_feedback(tenant=tenant, customers=customers, members=list(members.order_by("pk")))
    seed_incidents(demo)
    for slug, tenant in demo.tenants.items():
        where = (name, now.isoformat(), slug)
        states = seeded_states(tenant, now)
        for spec in DEMO_INCIDENTS[slug]:
            assert states[spec.title] == spec.sla_state, (*where, spec.title)
        phases = set(Incident.objects.for_tenant(tenant).values_list("phase", flat=True))
        assert phases == set(Phase.values), where
        events = SlaEvent.objects.for_tenant(tenant)
        assert events.filter(kind="breach").exists() and events.filter(kind="warning").exists(), where
        assert feedback_overdue(tenant=tenant, now=now).count() >= 3, where
        # The demo's latest due-soon item asks to be due within DUE_SOON_BY of now.
        if due_soon_possible(calendar_for_tenant(tenant=tenant), now, DUE_SOON_BY):
            assert feedback_due_soon(tenant=tenant, now=now, within=due_soon_window(tenant=tenant)).exists(), where
        statuses = set(Feedback.objects.for_tenant(tenant).values_list("status", flat=True))
        assert statuses == set(Feedback.Status.values), where

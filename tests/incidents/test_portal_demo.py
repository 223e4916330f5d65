"""The demo incidents: every phase in each demo tenant, all four SLA states, tasks across
departments, comments with mentions, reviews for the closed ones; a second run adds nothing.

Seeding takes seconds, so one test checks everything about one seed. Time is frozen at awkward
instants (the demo's states must not depend on when it is seeded; tests/ops/test_demo_any_hour.py
checks every hour of several days): New Year's Eve late at night, whose working-day deadlines
fall into 2027, a year the holiday data does not cover, and the night of Spring Festival's eve."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from incidents.demo.content import DEMO_INCIDENTS
from incidents.models import ImprovementAction, Incident, IncidentReview, IncidentTask, Phase, SlaEvent, TaskComment
from incidents.selectors.sla import sla_state_annotation
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Tenant

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fast_hasher(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def seed() -> dict[str, Tenant]:
    call_command("seed_demo", "--no-logins", stdout=StringIO())
    return {tenant.slug: tenant for tenant in Tenant.objects.filter(slug__in=["demo-a", "demo-b"])}


@time_machine.travel(dt.datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI), tick=False)
def test_the_demo_has_every_phase_and_sla_state_with_tasks_comments_and_reviews():
    tenants = seed()
    assert set(tenants) == {"demo-a", "demo-b"}
    for slug, tenant in tenants.items():
        incidents = Incident.objects.for_tenant(tenant)
        assert set(incidents.values_list("phase", flat=True)) == set(Phase.values), slug
        states = set(
            incidents.annotate(state=sla_state_annotation(tenant=tenant, now=timezone.now())).values_list(
                "state", flat=True
            )
        )
        assert {"on_track", "at_risk", "breached", "paused"} <= states, (slug, states)
        # Each demo incident shows the state it was placed for; the closed ones were handled in time.
        shown = dict(
            incidents.annotate(state=sla_state_annotation(tenant=tenant, now=timezone.now())).values_list(
                "title", "state"
            )
        )
        assert {spec.title: shown[spec.title] for spec in DEMO_INCIDENTS[slug]} == {
            spec.title: spec.sla_state for spec in DEMO_INCIDENTS[slug]
        }, slug
        assert all(shown[spec.title] == "" for spec in DEMO_INCIDENTS[slug] if spec.phase == Phase.CLOSED), slug
        # The sweep ran once: the breaches and warnings of the past are on record, and were notified.
        events = SlaEvent.objects.for_tenant(tenant)
        assert events.filter(kind="breach").exists() and events.filter(kind="warning").exists(), slug
        assert Notification.objects.for_tenant(tenant).filter(kind="sla_breach").exists(), slug

        assert IncidentTask.objects.for_tenant(tenant).values("department").distinct().count() >= 4, slug
        assert TaskComment.objects.for_tenant(tenant).filter(mentions__isnull=False).exists(), slug
        assert Notification.objects.for_tenant(tenant).filter(kind="mention").exists(), slug
        closed = incidents.filter(phase=Phase.CLOSED)
        assert closed.exists()
        for incident in closed:
            review = IncidentReview.objects.for_tenant(tenant).get(incident=incident)
            assert review.root_cause
            assert ImprovementAction.objects.for_tenant(tenant).filter(review=review).exists()


@time_machine.travel(dt.datetime(2026, 2, 16, 1, 30, tzinfo=SHANGHAI), tick=False)
def test_a_second_run_adds_nothing():
    tenants = seed()
    counts = {slug: Incident.objects.for_tenant(t).count() for slug, t in tenants.items()}
    assert min(counts.values()) >= 7
    seed()
    assert {slug: Incident.objects.for_tenant(t).count() for slug, t in tenants.items()} == counts

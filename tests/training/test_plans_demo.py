"""The demo's emergency plans: three approved plans per demo tenant (maker-checker kept), and one
open severity I/II incident whose plan was launched, with its tasks; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from incidents.models import IncidentTask
from training.models import EmergencyPlan, PlanStep, PlanVersion
from yuqing.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_has_three_approved_plans_and_one_launched_plan_per_tenant():
    with time_machine.travel(dt.datetime(2026, 5, 6, 3, 0, tzinfo=dt.UTC), tick=False):
        call_command("seed_demo", "--no-logins", stdout=StringIO())
        for tenant in Tenant.objects.filter(slug__in=["demo-a", "demo-b"]):
            plans = EmergencyPlan.objects.for_tenant(tenant)
            assert plans.count() == 3
            versions = PlanVersion.objects.for_tenant(tenant).filter(is_in_force=True)
            assert versions.count() == 3
            assert all(v.approved_by_id != v.author_id for v in versions)
            kinds = set(PlanStep.objects.for_tenant(tenant).values_list("department_kind", flat=True))
            assert kinds == {"pr", "legal", "customer_service", "tech_support", "risk", "management"}
            tasks = IncidentTask.objects.for_tenant(tenant).filter(plan_step__startswith="plan-version-")
            assert tasks.count() >= 4
            assert len({task.incident_id for task in tasks}) == 1
            assert all(task.incident.severity <= 2 for task in tasks)
        counts = (
            EmergencyPlan.objects.dangerously_all_tenants().count(),
            IncidentTask.objects.dangerously_all_tenants().count(),
        )
        call_command("seed_demo", "--no-logins", stdout=StringIO())
        assert counts == (
            EmergencyPlan.objects.dangerously_all_tenants().count(),
            IncidentTask.objects.dangerously_all_tenants().count(),
        )

"""Reminders: expiring certifications and missing required courses, exactly once each."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django_rq.cron import DjangoCronScheduler

from tests.factories import MembershipFactory, UserFactory
from tests.training.support import NOW, course, passed, session
from training import jobs
from training.models import Certification, TrainingReminder
from training.services import training_reminders_send
from yuqing.notify.models import Notification
from yuqing.tenancy.models import Department, Role
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        return tenant_create(slug="remind", name="提醒银行")


@pytest.fixture
def staff(tenant):
    cs = Department.objects.for_tenant(tenant).get(kind=Department.Kind.CUSTOMER_SERVICE)
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        return [
            MembershipFactory(tenant=tenant, user=UserFactory(username=f"cs{i}"), department=cs, role=Role.HANDLER)
            for i in range(2)
        ]


def _notices(tenant):
    return list(
        Notification.objects.for_tenant(tenant).order_by("pk").values_list("recipient__user__username", "title")
    )


def test_an_expiring_certification_is_reminded_once_however_often_the_sweep_runs(tenant, staff):
    with time_machine.travel(NOW - dt.timedelta(days=365), tick=False):
        c = course(tenant, "应对话术", validity_months=12)  # optional: only the expiry matters
        passed(tenant, session(tenant, c, ends_at=NOW - dt.timedelta(days=355)), staff[0])
    expires = Certification.objects.for_tenant(tenant).get().expires_at
    assert expires == NOW + dt.timedelta(days=10)
    first = training_reminders_send(tenant=tenant, now=NOW)
    assert (first.expiring, first.missing) == (1, 0)
    assert _notices(tenant) == [("cs0", "培训证书即将到期：应对话术")]
    assert training_reminders_send(tenant=tenant, now=NOW).expiring == 0
    assert training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=5)).expiring == 0  # time moves on
    assert len(_notices(tenant)) == 1
    reminder = TrainingReminder.objects.for_tenant(tenant).get()
    assert (reminder.kind, reminder.due_date) == ("expiring", dt.date(2026, 6, 25))


def test_nothing_is_sent_before_the_30_days_or_once_renewed(tenant, staff):
    with time_machine.travel(NOW - dt.timedelta(days=365), tick=False):
        c = course(tenant, "应对话术", validity_months=12)
        passed(tenant, session(tenant, c, ends_at=NOW - dt.timedelta(days=300)), staff[0])  # expires in 65 days
    assert training_reminders_send(tenant=tenant, now=NOW).expiring == 0
    passed(tenant, session(tenant, c, ends_at=NOW - dt.timedelta(days=1)), staff[0])  # renewed early
    assert training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=50)).expiring == 0
    assert _notices(tenant) == []


def test_missing_required_courses_are_reminded_once_per_lapse(tenant, staff):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        required = course(tenant, "个人信息保护", is_required=True, validity_months=1)
    first = training_reminders_send(tenant=tenant, now=NOW)
    assert first.missing == 2
    assert training_reminders_send(tenant=tenant, now=NOW).missing == 0
    assert training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=3)).missing == 0
    # cs0 takes the course; a month later it has expired: a new lapse, one new reminder (and an expiry notice before it)
    passed(tenant, session(tenant, required, ends_at=NOW + dt.timedelta(days=4)), staff[0])
    renewed = training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=5))
    assert (renewed.missing, renewed.expiring) == (0, 1)  # a one-month certificate: due within 30 days
    assert training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=10)).expiring == 0
    lapse = training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=40))
    assert (lapse.missing, lapse.expiring) == (1, 0)
    assert training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=41)).missing == 0
    assert [title for _, title in _notices(tenant)].count("缺少必修培训：个人信息保护") == 3


def test_a_reminder_already_claimed_by_another_run_is_not_sent_again(tenant, staff):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        required = course(tenant, "个人信息保护", is_required=True)
    TrainingReminder.objects.create(
        tenant=tenant, member=staff[0], course=required, kind="missing_required", due_date=dt.date(2026, 5, 16)
    )
    assert training_reminders_send(tenant=tenant, now=NOW).missing == 1  # only cs1
    assert [who for who, _ in _notices(tenant)] == ["cs1"]


def test_inactive_members_and_other_audiences_get_nothing(tenant, staff):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        course(tenant, "主管研判", is_required=True, roles=[Role.MANAGER])
    staff[1].is_active = False
    staff[1].save()
    assert training_reminders_send(tenant=tenant, now=NOW).missing == 0


def test_the_job_runs_per_tenant_and_the_sweep_fans_out(tenant, staff, tenant_a):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        course(tenant, "个人信息保护", is_required=True)
    with time_machine.travel(NOW, tick=False):
        assert jobs.training_reminders_tenant(tenant.pk) == {"expiring": 0, "missing": 2}
    with mock.patch("training.jobs.enqueue") as enqueue:
        assert jobs.training_reminders_all_tenants() == 2
    assert [call.kwargs["tenant_id"] for call in enqueue.call_args_list] == sorted([tenant.pk, tenant_a.pk])


def test_the_cron_table_runs_the_sweep_daily():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("yuqing.cron")
    job = {job.func_name: job for job in scheduler.get_jobs()}["training.jobs.training_reminders_all_tenants"]
    assert job.func is jobs.training_reminders_all_tenants
    assert job.cron == "30 8 * * *"

"""Two reminder sweeps of one tenant at once send each reminder exactly once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from tests.factories import MembershipFactory, UserFactory
from tests.training.support import NOW, course
from training.models import TrainingReminder
from training.services import RemindersResult, training_reminders_send
from yuqing.notify.models import Notification
from yuqing.tenancy.context import tenant_context
from yuqing.tenancy.services import tenant_create

pytestmark = pytest.mark.postgres
RUNS = 3
STAFF = 20


def test_concurrent_sweeps_send_each_reminder_once(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    tenant = tenant_create(slug="remind-race", name="并发提醒")
    for i in range(STAFF):
        MembershipFactory(tenant=tenant, user=UserFactory(username=f"race{i}"))
    course(tenant, "个人信息保护", is_required=True)
    start = threading.Barrier(RUNS)
    results: list[RemindersResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with tenant_context(tenant):
                results.append(training_reminders_send(tenant=tenant, now=NOW + dt.timedelta(days=1)))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.missing for r in results) == STAFF
    assert TrainingReminder.objects.for_tenant(tenant).count() == STAFF
    assert Notification.objects.for_tenant(tenant).filter(kind="training").count() == STAFF

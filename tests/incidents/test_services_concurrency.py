"""Incident codes under concurrent creation (PostgreSQL; SQLite runs one writer at a time anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from incidents.models import Incident
from tests.incidents.factories import member, open_incident
from yuqing.tenancy.models import Role
from yuqing.tenancy.services import tenant_create

WRITERS = 8


@pytest.mark.postgres
def test_concurrent_openings_take_consecutive_codes(transactional_db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    tenant = tenant_create(slug="busy-desk", name="并发开单")
    actor = member(tenant, "desk", Role.HANDLER).user
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            open_incident(tenant, actor, title="同时登记的事件")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    year = timezone.localtime().year
    codes = sorted(Incident.objects.for_tenant(tenant).values_list("code", flat=True))
    assert codes == [f"YQ-{year}-{number:04d}" for number in range(1, WRITERS + 1)]

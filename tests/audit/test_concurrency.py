"""Concurrent appends to one tenant's chain take sequence numbers one after another (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.services import tenant_create

WRITERS = 2
EVENTS_PER_WRITER = 15


@pytest.mark.postgres
def test_concurrent_appends_make_a_gap_free_chain(transactional_db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time anyway")
    tenant = tenant_create(slug="concurrent", name="并发租户")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for number in range(EVENTS_PER_WRITER):
                audit_record(tenant=tenant, actor=None, action="test.concurrent", object_id=f"{writer}-{number}")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    sequences = list(AuditEvent.objects.for_tenant(tenant).order_by("sequence").values_list("sequence", flat=True))
    expected_total = 1 + WRITERS * EVENTS_PER_WRITER  # tenant_create wrote the first
    assert sequences == list(range(1, expected_total + 1))
    report = chain_verify(tenant=tenant)
    assert report.is_intact
    assert report.events_checked == expected_total


@pytest.mark.postgres
def test_a_tenant_being_written_to_does_not_block_another(transactional_db) -> None:
    """The lock is the tenant's row: another tenant's chain goes on while one is held."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    busy, free = tenant_create(slug="busy", name="忙碌租户"), tenant_create(slug="free", name="空闲租户")
    finished = threading.Event()

    def write_to_free() -> None:
        try:
            audit_record(tenant=free, actor=None, action="test.free")
            finished.set()
        finally:
            connections.close_all()

    with transaction.atomic():
        audit_record(tenant=busy, actor=None, action="test.busy")  # holds busy's row lock until commit
        writer = threading.Thread(target=write_to_free)
        writer.start()
        assert finished.wait(timeout=10)
        writer.join()

    assert AuditEvent.objects.for_tenant(free).filter(action="test.free").exists()

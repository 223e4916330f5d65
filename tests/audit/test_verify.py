"""Verifying the hash chain: OK on a healthy chain, and the first broken link named when it is not."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.audit.support import append_only_suspended
from yuqing.audit.jobs import AuditChainBroken, audit_verify_all
from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.audit.services.chain import event_seal
from yuqing.audit.services.verify import chain_verify
from yuqing.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def _record(tenant: Tenant, count: int) -> list[AuditEvent]:
    return [
        audit_record(tenant=tenant, actor=None, action="test.step", object_repr=f"第{number}步", changes={"n": number})
        for number in range(count)
    ]


def _by_sequence(tenant: Tenant, sequence: int) -> AuditEvent:
    return AuditEvent.objects.for_tenant(tenant).get(sequence=sequence)


def _execute(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify_command(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_a_healthy_chain_is_reported_ok(tenant_a: Tenant, tenant_b: Tenant) -> None:
    _record(tenant_a, 4)

    report = chain_verify(tenant=tenant_a)
    output, error = _verify_command()

    assert report.is_intact
    assert report.events_checked == 5  # tenant_create wrote the first
    assert report.head_sequence == 5
    assert report.head_hash == _by_sequence(tenant_a, 5).hash
    assert error is None
    assert "tenant-a: OK 5 events" in output
    assert "tenant-b: OK 1 events" in output


def test_an_edited_event_is_named_as_the_first_broken_link(tenant_a: Tenant) -> None:
    _record(tenant_a, 5)
    edited = _by_sequence(tenant_a, 3)
    with append_only_suspended():
        _execute("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["篡改", edited.pk])
        _execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["test.forged", _by_sequence(tenant_a, 5).pk])

    report = chain_verify(tenant=tenant_a)

    assert not report.is_intact
    assert report.first_break.sequence == 3
    assert report.first_break.event_id == edited.pk
    assert "哈希无法复算" in report.first_break.problem
    assert report.events_checked == 2
    assert report.head_sequence == 2


def test_rehashing_an_edited_event_breaks_the_link_to_its_successor(tenant_a: Tenant) -> None:
    """Even re-hashed with the right key, an edited event no longer matches its successor's link."""
    _record(tenant_a, 4)
    edited = _by_sequence(tenant_a, 2)
    edited.changes = {"n": 999}
    event_seal(edited)
    with append_only_suspended():
        _execute(
            "UPDATE audit_auditevent SET changes = %s, hash = %s WHERE id = %s",
            ['{"n": 999}', edited.hash, edited.pk],
        )

    report = chain_verify(tenant=tenant_a)

    assert report.first_break.sequence == 3
    assert report.first_break.event_id == _by_sequence(tenant_a, 3).pk
    assert "上一条哈希不符" in report.first_break.problem


def test_a_deleted_event_shows_as_a_gap(tenant_a: Tenant) -> None:
    _record(tenant_a, 4)
    with append_only_suspended():
        _execute("DELETE FROM audit_auditevent WHERE id = %s", [_by_sequence(tenant_a, 3).pk])

    report = chain_verify(tenant=tenant_a)

    assert report.first_break.sequence == 4
    assert "序号不连续" in report.first_break.problem
    assert "应为 3" in report.first_break.problem


def test_a_forged_event_with_a_wrong_previous_hash_is_caught(tenant_a: Tenant) -> None:
    """Inserting needs no trigger to be lifted: the chain is what catches a forged row."""
    _record(tenant_a, 2)
    forged = AuditEvent(
        tenant=tenant_a,
        sequence=4,
        actor_label="system",
        action="test.forged",
        created_at=timezone.now(),
        previous_hash="f" * 64,
    )
    event_seal(forged)
    forged.save(force_insert=True)

    report = chain_verify(tenant=tenant_a)

    assert report.first_break.sequence == 4
    assert report.first_break.event_id == forged.pk
    assert "上一条哈希不符" in report.first_break.problem


def test_a_break_is_found_across_chunk_boundaries(tenant_a: Tenant) -> None:
    _record(tenant_a, 8)
    with append_only_suspended():
        _execute("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["x", _by_sequence(tenant_a, 7).pk])

    assert chain_verify(tenant=tenant_a, chunk_size=2).first_break.sequence == 7
    assert chain_verify(tenant=tenant_a, chunk_size=2).events_checked == 6


def test_a_tenant_without_events_is_ok() -> None:
    tenant = Tenant.objects.create(slug="empty", name="空租户")

    report = chain_verify(tenant=tenant)

    assert report.is_intact
    assert report.events_checked == 0
    assert report.head_sequence is None


def test_the_command_names_the_break_and_exits_non_zero(tenant_a: Tenant, tenant_b: Tenant) -> None:
    _record(tenant_a, 3)
    tampered = _by_sequence(tenant_a, 2)
    with append_only_suspended():
        _execute("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["别人", tampered.pk])

    output, error = _verify_command()

    assert error is not None
    assert error.returncode == 1
    assert f"tenant-a: 断链于序号 2（事件编号 {tampered.pk}）：哈希无法复算" in output
    assert "tenant-b: OK 1 events" in output  # the other tenants are still checked


def test_the_command_checks_only_the_tenant_asked_for(tenant_a: Tenant, tenant_b: Tenant) -> None:
    with append_only_suspended():
        _execute("UPDATE audit_auditevent SET object_repr = %s WHERE tenant_id = %s", ["篡改", tenant_a.pk])

    output, error = _verify_command("--tenant", "tenant-b")

    assert error is None
    assert output.strip().startswith("tenant-b: OK 1 events")
    assert "tenant-a" not in output


def test_the_command_refuses_an_unknown_tenant(tenant_a: Tenant) -> None:
    _output, error = _verify_command("--tenant", "no-such-tenant")

    assert error is not None
    assert error.returncode == 2
    assert "no-such-tenant" in str(error)


def test_the_command_refuses_a_chunk_size_below_one(tenant_a: Tenant) -> None:
    _output, error = _verify_command("--chunk-size", "0")

    assert error is not None
    assert error.returncode == 2


def test_the_nightly_job_checks_every_tenant(tenant_a: Tenant, tenant_b: Tenant, caplog) -> None:
    _record(tenant_a, 2)

    with caplog.at_level(logging.INFO, logger="yuqing.audit.jobs"):
        checked = audit_verify_all()

    assert checked == {"tenant-a": 3, "tenant-b": 1}
    assert "audit chain OK: tenant=tenant-a events=3" in caplog.text


def test_the_nightly_job_fails_loudly_on_a_break(tenant_a: Tenant, tenant_b: Tenant, caplog) -> None:
    _record(tenant_a, 2)
    tampered = _by_sequence(tenant_a, 3)
    with append_only_suspended():
        _execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["test.forged", tampered.pk])

    with caplog.at_level(logging.INFO, logger="yuqing.audit.jobs"), pytest.raises(AuditChainBroken, match="tenant-a#3"):
        audit_verify_all()

    assert f"audit chain BROKEN: tenant=tenant-a sequence=3 event_id={tampered.pk}" in caplog.text
    assert "audit chain OK: tenant=tenant-b" in caplog.text


def test_the_job_runs_on_a_real_rq_worker(tenant_a: Tenant, rq_queues: str) -> None:
    import django_rq
    from rq import SimpleWorker

    queue = django_rq.get_queue("default")
    job = queue.enqueue(audit_verify_all)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    job.refresh()
    assert job.is_finished
    assert job.return_value() == {"tenant-a": 1}

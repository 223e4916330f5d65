"""The database itself refuses to change or remove an audit event, through the ORM and raw SQL alike."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from yuqing.audit.models import AuditEvent
from yuqing.audit.services import audit_record
from yuqing.tenancy.models import Tenant

pytestmark = pytest.mark.django_db

triggers_migration = importlib.import_module("yuqing.audit.migrations.0002_append_only_triggers")


@pytest.fixture
def event(tenant_a: Tenant) -> AuditEvent:
    return audit_record(tenant=tenant_a, actor=None, action="test.original", object_repr="原始记录")


def _refused():
    # Each attempt runs in a savepoint: after the refusal the test's transaction is still usable.
    return pytest.raises(IntegrityError, match="append-only")


def _action_of(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM audit_auditevent WHERE id = %s", [event.pk])
        return cursor.fetchone()[0]


def test_saving_a_changed_event_is_refused(event: AuditEvent) -> None:
    event.action = "test.forged"
    with _refused(), transaction.atomic():
        event.save()

    assert _action_of(event) == "test.original"


def test_a_queryset_update_is_refused(tenant_a: Tenant, event: AuditEvent) -> None:
    with _refused(), transaction.atomic():
        AuditEvent.objects.for_tenant(tenant_a).filter(pk=event.pk).update(object_repr="改过的")

    assert AuditEvent.objects.for_tenant(tenant_a).get(pk=event.pk).object_repr == "原始记录"


def test_deleting_an_event_is_refused(tenant_a: Tenant, event: AuditEvent) -> None:
    with _refused(), transaction.atomic():
        event.delete()
    with _refused(), transaction.atomic():
        AuditEvent.objects.for_tenant(tenant_a).all().delete()

    assert AuditEvent.objects.for_tenant(tenant_a).filter(pk=event.pk).exists()


def test_raw_sql_update_and_delete_are_refused(event: AuditEvent) -> None:
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.forged' WHERE id = %s", [event.pk])
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")

    assert _action_of(event) == "test.original"


def test_appending_still_works_after_a_refusal(tenant_a: Tenant, event: AuditEvent) -> None:
    with _refused(), transaction.atomic():
        event.delete()

    following = audit_record(tenant=tenant_a, actor=None, action="test.next")

    assert following.sequence == event.sequence + 1
    assert following.previous_hash == event.hash


def test_the_migration_can_be_reversed_and_reapplied(event: AuditEvent) -> None:
    """The reverse drops the triggers (so rows can change again) and the forward puts them back."""
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=lambda sql, params=None: cursor.execute(sql, params))
        triggers_migration.remove_triggers(None, editor)
        cursor.execute("UPDATE audit_auditevent SET action = 'test.unguarded' WHERE id = %s", [event.pk])
        triggers_migration.install_triggers(None, editor)

    assert _action_of(event) == "test.unguarded"
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.forged' WHERE id = %s", [event.pk])


def test_a_database_flush_still_empties_the_trail(event: AuditEvent) -> None:
    """The test suite lets the flush through (a DELETE on SQLite, a TRUNCATE on PostgreSQL), triggers intact."""
    # PostgreSQL will not TRUNCATE with the inserts' deferred foreign-key checks still pending.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        assert cursor.fetchone()[0] == 0
    # ...and the triggers are still there afterwards.
    tenant = Tenant.objects.create(slug="after-flush", name="清空之后")
    again = audit_record(tenant=tenant, actor=None, action="test.after_flush")
    with _refused(), transaction.atomic():
        again.delete()


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_write_to_the_trail() -> None:
    """The flush after this test empties the trail on both databases (else its teardown errors)."""
    tenant = Tenant.objects.create(slug="transactional", name="事务测试")
    audit_record(tenant=tenant, actor=None, action="test.transactional")

    assert AuditEvent.objects.for_tenant(tenant).count() == 1


truncate_migration = importlib.import_module("yuqing.audit.migrations.0004_refuse_truncate")


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql_even_for_the_tables_owner(event: AuditEvent) -> None:
    """A statement trigger: the row triggers never see a TRUNCATE. (SQLite has none; its DELETE is refused above.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no TRUNCATE")
    # PostgreSQL will not TRUNCATE with the inserts' deferred foreign-key checks still pending.
    connection.check_constraints()
    for statement in (
        "TRUNCATE audit_auditevent",
        "TRUNCATE TABLE ONLY audit_auditevent RESTART IDENTITY CASCADE",
        "TRUNCATE audit_auditevent, tenancy_tenant CASCADE",
    ):
        with _refused(), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    assert _action_of(event) == "test.original"


@pytest.mark.postgres
def test_the_truncate_migration_can_be_reversed_and_reapplied(event: AuditEvent) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    connection.check_constraints()
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=lambda sql, params=None: cursor.execute(sql, params))
        truncate_migration.remove_trigger(None, editor)
        truncate_migration.install_trigger(None, editor)
        truncate_migration.install_trigger(None, editor)  # idempotent

    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")

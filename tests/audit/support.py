"""Test helpers for the audit trail: getting past its append-only triggers on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import connections, transaction
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

# Through base: importing the operations module first is a circular import.
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations

TABLE = "audit_auditevent"
POSTGRES_TRIGGERS = ["audit_auditevent_append_only", "audit_auditevent_no_truncate"]


@contextmanager
def append_only_suspended(using: str = "default") -> Iterator[None]:
    """Lift the triggers for the block, as someone with direct database access could, and put them back.

    Use inside the test's transaction: SQLite's DDL is transactional, and PostgreSQL's
    ALTER TABLE … DISABLE TRIGGER is too, so a failing test rolls the change back as well.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        # ALTER TABLE waits for no one: the inserts' deferred foreign-key checks must run first.
        connection.check_constraints()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            for trigger in POSTGRES_TRIGGERS:
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            connection.check_constraints()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for _name, sql in triggers:
                    cursor.execute(sql)
            else:
                for trigger in POSTGRES_TRIGGERS:
                    cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {trigger}")


_original_flushes = {
    SQLiteOperations: SQLiteOperations.execute_sql_flush,
    PostgresOperations: PostgresOperations.execute_sql_flush,
}


def _flush_past_audit_triggers(operations_class: type) -> object:
    original = _original_flushes[operations_class]

    def execute_sql_flush(self, sql_list: list[str]) -> None:
        with transaction.atomic(using=self.connection.alias), append_only_suspended(self.connection.alias):
            original(self, sql_list)

    return execute_sql_flush


@contextmanager
def flush_past_audit_triggers() -> Iterator[None]:
    """Let the flush between transactional tests empty the audit trail.

    SQLite's flush is a DELETE per table, which the row triggers refuse; PostgreSQL's is a
    TRUNCATE, which the statement trigger refuses. Only the flush is let through, and the triggers
    are back afterwards. (On PostgreSQL this needs a role that may disable the triggers: the owner.)
    """
    with (
        mock.patch.object(SQLiteOperations, "execute_sql_flush", _flush_past_audit_triggers(SQLiteOperations)),
        mock.patch.object(PostgresOperations, "execute_sql_flush", _flush_past_audit_triggers(PostgresOperations)),
    ):
        yield

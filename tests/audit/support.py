"""Test helpers for the audit trail: getting past its append-only triggers on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import connections, transaction

# Through base: importing the operations module first is a circular import.
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations

TABLE = "audit_auditevent"
POSTGRES_TRIGGER = "audit_auditevent_append_only"


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
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {POSTGRES_TRIGGER}")
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
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {POSTGRES_TRIGGER}")


_original_execute_sql_flush = SQLiteOperations.execute_sql_flush


def _execute_sql_flush_past_audit_triggers(self: SQLiteOperations, sql_list: list[str]) -> None:
    with transaction.atomic(using=self.connection.alias), append_only_suspended(self.connection.alias):
        _original_execute_sql_flush(self, sql_list)


@contextmanager
def sqlite_flush_past_audit_triggers() -> Iterator[None]:
    """Let the flush between transactional tests empty the audit trail on SQLite.

    PostgreSQL's flush is a TRUNCATE, which the triggers leave alone; SQLite's is a DELETE per
    table, which they refuse. Only the flush is let through, and the triggers are back afterwards.
    """
    with mock.patch.object(SQLiteOperations, "execute_sql_flush", _execute_sql_flush_past_audit_triggers):
        yield

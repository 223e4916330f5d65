"""The app role's grants and the row-level security of every tenant table, re-applied after `migrate`.

Run by `post_migrate` as the owner, idempotently, so a new app's tables (any table with a
`tenant_id` column, many-to-many tables included) get their policy without anyone remembering.

A row is visible and writable when its tenant is the connection's `yuqing.tenant_id`, or in
platform mode (`yuqing.all_tenants` = 'on'). With neither set, a tenant table has no rows.
FORCE applies the policies to the owner as well, unless it is a superuser or BYPASSRLS; the owner
connection works in platform mode anyway (`yuqing.postgres.owner.as_owner`).
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from yuqing.postgres.owner import app_role, is_owner

POLICY = "yuqing_tenant_isolation"
PREDICATE = (
    "current_setting('yuqing.all_tenants', true) = 'on' "
    "OR tenant_id = NULLIF(current_setting('yuqing.tenant_id', true), '')::bigint"
)
# Append-only tables: the app may read and add rows, never change or remove them.
APPEND_ONLY_TABLES = ("audit_auditevent",)
READ_ONLY_TABLES = ("django_migrations",)


def tenant_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Every table of the schema with a tenant_id column: what the policies cover."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' "
            "AND t.table_type = 'BASE TABLE' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def policies_apply(connection: BaseDatabaseWrapper) -> list[str]:
    """Enable, force and create the policy of every tenant table that lacks it; returns the tables
    changed. Tables already covered are left alone: ALTER TABLE would lock out the running app.
    (A changed predicate gets a new policy name, so this finds it missing everywhere.)"""
    quote = connection.ops.quote_name
    changed = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policies p ON p.tablename = c.relname "
            "AND p.schemaname = current_schema() AND p.policyname = %s "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relrowsecurity AND c.relforcerowsecurity",
            [POLICY],
        )
        covered = {row[0] for row in cursor.fetchall()}
        for table in tenant_tables(connection):
            if table in covered:
                continue
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {quote(table)} USING ({PREDICATE}) WITH CHECK ({PREDICATE})")
            changed.append(table)
    return changed


def grants_apply(connection: BaseDatabaseWrapper, role: str) -> None:
    """The app role gets DML on every table and nothing more: no TRUNCATE, REFERENCES or TRIGGER,
    SELECT and INSERT only on append-only tables, SELECT only on the migration history."""
    quote = connection.ops.quote_name
    role_q = quote(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role_q}")
        # Grant, then take away what it must not have: never a moment without its DML (running app).
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role_q}")
        cursor.execute(f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {role_q}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role_q}")
        existing = set(connection.introspection.table_names(cursor))
        for table in APPEND_ONLY_TABLES:
            if table in existing:
                cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {role_q}")
        for table in READ_ONLY_TABLES:
            if table in existing:
                cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {role_q}")


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After `migrate` (once, on the tenancy app's signal, when every table exists)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not is_owner(connection):
        return  # e.g. the post_migrate of a test flush, run as the app role: nothing to (re)grant
    role = app_role(connection)
    with transaction.atomic(using=using):  # all of it or none
        if role is not None:
            grants_apply(connection, role)
        policies_apply(connection)

"""The database itself refuses UPDATE and DELETE on the audit trail.

The application never changes an audit event, so these triggers only ever fire on a bug or on
tampering: either way the statement fails and its transaction rolls back. TRUNCATE is refused by
0004_refuse_truncate; `audit_verify` catches what gets past the triggers.

Both databases raise an integrity error (SQLite: a trigger constraint; PostgreSQL: SQLSTATE
23001 restrict_violation), so callers see django.db.IntegrityError on either.
"""

from django.db import migrations

MESSAGE = "audit trail is append-only: UPDATE and DELETE of audit_auditevent are refused (审计日志只可追加，不可修改或删除)"

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete
    BEFORE DELETE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
]

POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}'
            USING ERRCODE = 'restrict_violation', DETAIL = TG_OP || ' of audit event ' || OLD.id;
    END;
    $$;
    """,
    """
    DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse_change();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_auditevent_refuse_change();",
]


def _run(schema_editor, statements_by_vendor):
    vendor = schema_editor.connection.vendor
    if vendor not in statements_by_vendor:
        raise NotImplementedError(f"No append-only triggers for the {vendor} database.")
    for statement in statements_by_vendor[vendor]:
        schema_editor.execute(statement, params=None)


def install_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})


def remove_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_triggers, remove_triggers, elidable=False),
    ]

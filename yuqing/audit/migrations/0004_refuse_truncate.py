"""PostgreSQL refuses TRUNCATE of the audit trail too (the row triggers of 0002 never see it).

A statement trigger, so a TRUNCATE fails whoever issues it, the table's owner included; only
someone allowed to disable the trigger (the owner, which the application role is not in
production) gets past it, and what gets past is caught by `audit_verify`'s signed checkpoint.
SQLite has no TRUNCATE: its `DELETE FROM` without WHERE meets the DELETE trigger of 0002.
"""

from django.db import migrations

MESSAGE = "audit trail is append-only: TRUNCATE of audit_auditevent is refused (审计日志只可追加，不可清空)"

POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION audit_auditevent_refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;",
    """
    CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_truncate();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_auditevent_refuse_truncate();",
]


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_keyed_hash_scheme"),
    ]

    operations = [
        migrations.RunPython(install_trigger, remove_trigger, elidable=False),
    ]

"""Each event records how its hash was made: the events already stored keep the unkeyed SHA-256.

Adding the columns rewrites no row through UPDATE: PostgreSQL adds them with the default in place,
SQLite copies the table into a new one (INSERT ... SELECT). That copy drops the table's triggers
with the old table, so on SQLite the append-only triggers are installed again afterwards (and
after removing the columns, backwards).
"""

import importlib

from django.db import migrations, models

triggers = importlib.import_module("yuqing.audit.migrations.0002_append_only_triggers")


def reinstall_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in triggers.SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        # Backwards, removing the columns copies the table again: the triggers come back last.
        migrations.RunPython(migrations.RunPython.noop, reinstall_sqlite_triggers, elidable=False),
        migrations.AddField(
            model_name="auditevent",
            name="hash_scheme",
            field=models.CharField(
                choices=[("sha256", "SHA-256（无密钥，旧事件）"), ("hmac-sha256", "HMAC-SHA256（密钥在数据库之外）")],
                default="sha256",
                max_length=16,
                verbose_name="哈希算法",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash_key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="密钥编号"),
            preserve_default=False,
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop, elidable=False),
    ]

"""Migration operations: an automatic many-to-many table becomes a tenant-owned through model.

The table, its rows and its two foreign-key columns stay; the model takes it over (same db_table),
gains a tenant column filled from the owning side's row, and its (source, target) uniqueness
becomes per tenant. Used by migrations: keep this module's behaviour stable.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def m2m_to_tenant_through(
    *,
    app_label: str,
    owner: str,
    field: str,
    through: str,
    db_table: str,
    source: tuple[str, str],
    target: tuple[str, str],
    field_kwargs: dict[str, Any],
    constraint: str,
    verbose_name: str,
) -> list[migrations.operations.base.Operation]:
    """`owner.field` (an automatic ManyToManyField to `target`) gets the through model `through`.

    source / target: (field name in the through model, "app_label.model") of the two sides.
    field_kwargs: the ManyToManyField's other arguments (related_name, verbose_name, blank, ...).
    """
    source_name, source_model = source
    target_name, target_model = target
    through_lower = through.lower()

    def fill_tenant(apps: Any, schema_editor: Any) -> None:
        link = apps.get_model(app_label, through)
        owner_model = apps.get_model(*source_model.split("."))
        link.objects.using(schema_editor.connection.alias).update(
            tenant_id=Subquery(owner_model.objects.filter(pk=OuterRef(f"{source_name}_id")).values("tenant_id")[:1])
        )

    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name=through,
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            source_name,
                            models.ForeignKey(on_delete=models.CASCADE, related_name="+", to=source_model),
                        ),
                        (
                            target_name,
                            models.ForeignKey(on_delete=models.CASCADE, related_name="+", to=target_model),
                        ),
                    ],
                    options={
                        "db_table": db_table,
                        "verbose_name": verbose_name,
                        "verbose_name_plural": verbose_name,
                        "unique_together": {(source_name, target_name)},
                    },
                ),
                migrations.AlterField(
                    model_name=owner,
                    name=field,
                    field=models.ManyToManyField(through=f"{app_label}.{through}", to=target_model, **field_kwargs),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name=through_lower,
            name="tenant",
            field=models.ForeignKey(
                null=True, on_delete=models.CASCADE, related_name="+", to="tenancy.tenant", verbose_name="租户"
            ),
        ),
        migrations.RunPython(fill_tenant, migrations.RunPython.noop),
        migrations.AlterField(
            model_name=through_lower,
            name="tenant",
            field=models.ForeignKey(
                on_delete=models.CASCADE, related_name="+", to="tenancy.tenant", verbose_name="租户"
            ),
        ),
        migrations.AlterUniqueTogether(name=through_lower, unique_together=set()),
        migrations.AddConstraint(
            model_name=through_lower,
            constraint=models.UniqueConstraint(fields=["tenant", source_name, target_name], name=constraint),
        ),
    ]

"""Mention.grouped_at: when the warnings step last grouped it, so that step can run as its own job.

Until now scoring and warnings ran in one transaction: every mention already scored was grouped
then, at its scored_at. The partial index holds only the scored mentions still waiting for the
warnings step, which the warn sweep reads in one indexed query.
"""

from django.db import migrations, models


def grouped_when_scored(apps, schema_editor):
    mention = apps.get_model("monitoring", "mention")
    mention.objects.filter(status="scored", grouped_at__isnull=True).update(grouped_at=models.F("scored_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_customer_links_carry_the_tenant"),
        ("monitoring", "0003_story_customers_carry_the_tenant"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="mention",
            name="grouped_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="预警处理时间"),
        ),
        migrations.RunPython(grouped_when_scored, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(
                condition=models.Q(("grouped_at__isnull", True), ("status", "scored")),
                fields=["scored_at"],
                name="mention_ungrouped_idx",
            ),
        ),
    ]

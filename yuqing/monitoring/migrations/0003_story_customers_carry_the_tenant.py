"""Story.customers: its link table becomes a tenant-owned through model; rows get their story's tenant."""

from django.db import migrations

from yuqing.tenancy.migration_ops import m2m_to_tenant_through


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_mention_original_encrypted_personal_data"),
        ("customers", "0006_customer_links_carry_the_tenant"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        *m2m_to_tenant_through(
            app_label="monitoring",
            owner="story",
            field="customers",
            through="StoryCustomer",
            db_table="monitoring_story_customers",
            source=("story", "monitoring.story"),
            target=("customer", "customers.customer"),
            field_kwargs={"blank": True, "related_name": "stories", "verbose_name": "涉及客户"},
            constraint="story_customer_once",
            verbose_name="话题客户",
        ),
    ]

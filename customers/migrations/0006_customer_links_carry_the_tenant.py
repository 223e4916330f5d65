"""Customer.products and Customer.tags: their link tables become tenant-owned through models.

The rows stay; each gets its customer's tenant (see yuqing.tenancy.migration_ops).
"""

from django.db import migrations

from yuqing.tenancy.migration_ops import m2m_to_tenant_through


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_feedback_due_basis"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        *m2m_to_tenant_through(
            app_label="customers",
            owner="customer",
            field="products",
            through="CustomerProduct",
            db_table="customers_customer_products",
            source=("customer", "customers.customer"),
            target=("product", "customers.product"),
            field_kwargs={"blank": True, "related_name": "customers", "verbose_name": "产品"},
            constraint="customer_product_once",
            verbose_name="客户产品",
        ),
        *m2m_to_tenant_through(
            app_label="customers",
            owner="customer",
            field="tags",
            through="CustomerTag",
            db_table="customers_customer_tags",
            source=("customer", "customers.customer"),
            target=("tag", "customers.tag"),
            field_kwargs={"blank": True, "related_name": "customers", "verbose_name": "标签"},
            constraint="customer_tag_once",
            verbose_name="客户标签",
        ),
    ]

"""PostgreSQL row-level security and the app role: the database itself keeps tenants apart.

Every query here is raw SQL through the app's own connection, so the ORM's scoping plays no part:
what comes back is what the policies let through. The tables are walked from the models, so a new
tenant table is covered without anyone remembering.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests.customers.factories import (
    ContactFactory,
    CustomerAliasFactory,
    CustomerFactory,
    FeedbackFactory,
    ProductFactory,
    TagFactory,
)
from tests.factories import DepartmentFactory
from tests.incidents.factories import IncidentFactory, IncidentTaskFactory
from yuqing.audit.services import audit_record
from yuqing.platform.queue import tenant_job
from yuqing.postgres.owner import owner_settings
from yuqing.postgres.rls import POLICY
from yuqing.tenancy.context import dangerously_all_tenants, tenant_context
from yuqing.tenancy.models import Department, Membership, Tenant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level security and database roles are PostgreSQL's")


def _two_roles() -> None:
    if owner_settings(connection) is None:
        pytest.skip("needs the app role: set DATABASE_OWNER_URL (the owner) and DATABASE_URL (the app)")


def tenant_tables() -> list[str]:
    """Every table the models put a tenant_id column in, many-to-many tables included."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if any(field.column == "tenant_id" for field in model._meta.local_concrete_fields):
            tables.add(model._meta.db_table)
    return sorted(tables)


def _counts(tenant: Tenant) -> dict[str, tuple[int, int]]:
    """Per table: (rows of `tenant`, all rows) as the connection currently sees them."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tenant_tables():
            cursor.execute(
                f"SELECT COUNT(*) FILTER (WHERE tenant_id = %s), COUNT(*) FROM {quote(table)}",
                [tenant.pk],
            )
            counts[table] = cursor.fetchone()
    return counts


def _rows_of(tenant: Tenant) -> None:
    """Rows of `tenant` across the apps, many-to-many links included (tenant_create adds its own)."""
    customer = CustomerFactory(tenant=tenant)
    CustomerAliasFactory(tenant=tenant, customer=customer)
    ContactFactory(tenant=tenant, customer=customer)
    feedback = FeedbackFactory(tenant=tenant, customer=customer)
    incident = IncidentFactory(tenant=tenant)
    task = IncidentTaskFactory(tenant=tenant, incident=incident)
    links = {"tenant": tenant}
    with tenant_context(tenant):
        customer.products.add(ProductFactory(tenant=tenant), through_defaults=links)
        customer.tags.add(TagFactory(tenant=tenant), through_defaults=links)
        incident.customers.add(customer, through_defaults=links)
        incident.feedback.add(feedback, through_defaults=links)
        incident.departments.add(task.department, through_defaults=links)
    audit_record(tenant=tenant, actor=None, action="test.rows")


def _departments(tenant: Tenant) -> int:
    return Department.objects.for_tenant(tenant).count()


def _visible(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def test_every_tenant_table_has_a_forced_policy() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relrowsecurity AND relforcerowsecurity "
            "AND relnamespace = current_schema()::regnamespace"
        )
        forced = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY])
        with_policy = {row[0] for row in cursor.fetchall()}

    tables = set(tenant_tables())
    assert len(tables) > 40
    assert tables - forced == set()
    assert tables - with_policy == set()


def test_a_tenant_sees_none_of_another_tenants_rows_in_any_table(tenant_a: Tenant, tenant_b: Tenant) -> None:
    first, second = tenant_a, tenant_b
    _rows_of(first)
    _rows_of(second)
    with dangerously_all_tenants():
        everything = _counts(first)
    # Real rows in many tables (links included), so the walk checks rows, not empty tables.
    populated = {table for table, (own, _) in everything.items() if own}
    assert len(populated) >= 15
    assert {"customers_customer_products", "incidents_incident_customers", "audit_auditevent"} <= populated

    with tenant_context(second):
        seen_by_second = _counts(first)

    assert {table: own for table, (own, _) in seen_by_second.items() if own} == {}
    assert {table: total for table, (_, total) in seen_by_second.items()} == {
        table: total - own for table, (own, total) in everything.items()
    }


def test_with_no_tenant_set_every_tenant_table_is_empty(tenant_a: Tenant) -> None:
    _rows_of(tenant_a)
    with dangerously_all_tenants():
        assert _visible("tenancy_department") > 0

    assert {table: total for table, (_, total) in _counts(tenant_a).items() if total} == {}


def test_platform_mode_sees_every_tenant(tenant_a: Tenant, tenant_b: Tenant) -> None:
    DepartmentFactory(tenant=tenant_a)
    DepartmentFactory(tenant=tenant_b)

    with dangerously_all_tenants():
        platform = _visible("tenancy_department")
    with tenant_context(tenant_a):
        own = _visible("tenancy_department")

    assert platform == Department.objects.dangerously_all_tenants().count()
    assert 0 < own < platform


def test_writing_a_row_into_another_tenant_is_refused(tenant_a: Tenant, tenant_b: Tenant) -> None:
    department = DepartmentFactory(tenant=tenant_a)

    with tenant_context(tenant_b):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO tenancy_department (tenant_id, name, kind, is_active) VALUES (%s, '渗透', 'pr', true)",
                    [tenant_a.pk],
                )
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenancy_department SET name = '改' WHERE id = %s", [department.pk])
            assert cursor.rowcount == 0  # A's row is not there to update
            cursor.execute("DELETE FROM tenancy_department WHERE id = %s", [department.pk])
            assert cursor.rowcount == 0

    assert Department.objects.for_tenant(tenant_a).get(pk=department.pk).name == department.name


def test_a_rolled_back_savepoint_does_not_leave_a_stale_tenant(tenant_a: Tenant) -> None:
    DepartmentFactory(tenant=tenant_a)
    own = _departments(tenant_a)
    assert _visible("tenancy_department") == 0  # the session setting is now empty

    with tenant_context(tenant_a):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            assert _visible("tenancy_department") == own  # set_config inside the savepoint...
            1 / 0  # noqa: B018 - ...which the rollback undoes
        assert _visible("tenancy_department") == own  # set again, not assumed

    assert _visible("tenancy_department") == 0


def test_nested_contexts_switch_the_setting_and_switch_it_back(tenant_a: Tenant, tenant_b: Tenant) -> None:
    DepartmentFactory(tenant=tenant_b)
    a, b = _departments(tenant_a), _departments(tenant_b)

    with tenant_context(tenant_a):
        assert _visible("tenancy_department") == a
        with dangerously_all_tenants():
            assert _visible("tenancy_department") == a + b
            with tenant_context(tenant_b):
                assert _visible("tenancy_department") == b
            assert _visible("tenancy_department") == a + b
        assert _visible("tenancy_department") == a
    assert _visible("tenancy_department") == 0


def test_a_request_does_not_carry_its_tenant_into_what_follows(client_a: Client, admin_a: Membership) -> None:
    response = client_a.get("/")

    assert response.status_code == 200
    assert _visible("tenancy_membership") == 0  # same (persistent) connection, no tenant any more
    with tenant_context(admin_a.tenant):
        assert _visible("tenancy_membership") == Membership.objects.for_tenant(admin_a.tenant).count() > 0


def test_a_job_sees_only_its_tenant_and_leaves_nothing_set(tenant_a: Tenant, tenant_b: Tenant) -> None:
    DepartmentFactory(tenant=tenant_b)

    @tenant_job
    def count_departments(tenant: Tenant) -> int:
        return _visible("tenancy_department")

    assert count_departments(tenant_b.pk) == _departments(tenant_b)
    assert count_departments(tenant_a.pk) == _departments(tenant_a)
    assert _departments(tenant_a) != _departments(tenant_b)
    assert _visible("tenancy_department") == 0


def test_login_and_the_tenant_lookup_read_across_tenants_in_platform_mode(admin_a: Membership) -> None:
    admin_a.user.set_password("Correct-Horse-9")
    admin_a.user.save()
    client = Client()

    response = client.post("/accounts/login/", {"username": "admin_a", "password": "Correct-Horse-9"}, follow=True)

    assert response.status_code == 200
    assert response.context["current_tenant"] == admin_a.tenant


def test_the_app_role_is_neither_owner_nor_superuser_nor_bypassrls() -> None:
    _two_roles()
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT COUNT(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE audit_auditevent",
        "TRUNCATE tenancy_department",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
        "ALTER TABLE tenancy_department DISABLE ROW LEVEL SECURITY",
        "DROP POLICY yuqing_tenant_isolation ON tenancy_department",
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_app_role_cannot_empty_or_unguard_tables_or_change_the_audit_trail(tenant_a: Tenant, sql: str) -> None:
    _two_roles()
    audit_record(tenant=tenant_a, actor=None, action="test.kept")

    with tenant_context(tenant_a):
        with pytest.raises(DatabaseError, match=r"permission denied|must be owner"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
        assert _visible("audit_auditevent") >= 1

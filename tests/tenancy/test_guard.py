"""The one guard of every service: the tenant's context, the actor rule, one transaction."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from yuqing.tenancy.context import TenantMismatch, dangerously_all_tenants, peek_current_tenant, tenant_context
from yuqing.tenancy.guard import actor_may, tenant_service
from yuqing.tenancy.models import Department, Role
from yuqing.tenancy.roles import Permission


@tenant_service(Permission.WRITE)
def department_rename(*, tenant, actor, department_id: int, name: str, fail: bool = False) -> Department:
    # The bare manager: it works only because the guard entered the tenant.
    department = Department.objects.get(pk=department_id)
    department.name = name
    department.save(update_fields=["name"])
    if fail:
        raise ValueError("after the write")
    return department


@tenant_service(None)
def tenant_seen(*, tenant) -> object:
    return peek_current_tenant(), transaction.get_connection().in_atomic_block


@pytest.fixture
def department(tenant_a):
    return DepartmentFactory(tenant=tenant_a, name="舆情组")


def test_a_service_works_inside_its_tenant_and_leaves_none_behind(tenant_a):
    assert peek_current_tenant() is None
    seen, atomic = tenant_seen(tenant=tenant_a)
    assert seen == tenant_a
    assert atomic is True
    assert peek_current_tenant() is None


def test_platform_mode_narrows_to_the_services_tenant(tenant_a):
    with dangerously_all_tenants():
        seen, _ = tenant_seen(tenant=tenant_a)
    assert seen == tenant_a


def test_a_service_for_another_tenant_than_the_current_one_is_refused(tenant_a, tenant_b, department):
    with tenant_context(tenant_b), pytest.raises(TenantMismatch):
        department_rename(tenant=tenant_a, actor=None, department_id=department.pk, name="改名")
    department.refresh_from_db()
    assert department.name == "舆情组"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.HANDLER])
def test_members_with_the_permission_may(tenant_a, department, role):
    member = MembershipFactory(tenant=tenant_a, role=role)
    assert (
        department_rename(tenant=tenant_a, actor=member.user, department_id=department.pk, name="新名").name == "新名"
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AUDITOR])
def test_members_without_it_are_refused_in_their_language(tenant_a, department, role):
    member = MembershipFactory(tenant=tenant_a, role=role)
    with pytest.raises(PermissionDenied, match="无权执行此操作"):
        department_rename(tenant=tenant_a, actor=member.user, department_id=department.pk, name="新名")
    department.refresh_from_db()
    assert department.name == "舆情组"


def test_an_inactive_member_and_another_tenants_admin_are_refused(tenant_a, tenant_b, department):
    former = MembershipFactory(tenant=tenant_a, role=Role.ADMIN, is_active=False)
    outsider = MembershipFactory(tenant=tenant_b, role=Role.ADMIN)
    for user in (former.user, outsider.user):
        with pytest.raises(PermissionDenied):
            department_rename(tenant=tenant_a, actor=user, department_id=department.pk, name="新名")
        assert not actor_may(tenant=tenant_a, actor=user, permission=Permission.WRITE)


def test_platform_code_and_the_platform_operator_may(tenant_a, department):
    operator = UserFactory(username="operator", is_superuser=True, is_staff=True)
    department_rename(tenant=tenant_a, actor=None, department_id=department.pk, name="平台改名")
    department_rename(tenant=tenant_a, actor=operator, department_id=department.pk, name="运维改名")
    department.refresh_from_db()
    assert department.name == "运维改名"


def test_a_failing_service_keeps_nothing_it_wrote(tenant_a, department):
    with pytest.raises(ValueError):
        department_rename(tenant=tenant_a, actor=None, department_id=department.pk, name="半途", fail=True)
    department.refresh_from_db()
    assert department.name == "舆情组"


def test_the_guard_records_the_permission_it_applies():
    assert department_rename.permission == Permission.WRITE
    assert tenant_seen.permission is None

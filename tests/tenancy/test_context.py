"""The tenant scope fails closed: no tenant, no data."""

import pytest
from django.http import Http404

from yuqing.tenancy.context import TenantMismatch, TenantNotSet, dangerously_all_tenants, tenant_context
from yuqing.tenancy.models import Department
from yuqing.tenancy.selectors import get_for_tenant


def test_querying_tenant_data_with_no_tenant_raises(tenant_a):
    with pytest.raises(TenantNotSet):
        list(Department.objects.all())
    with pytest.raises(TenantNotSet):
        Department.objects.filter(name="公关部").count()
    with pytest.raises(TenantNotSet):
        Department.objects.update(is_active=False)


def test_an_unscoped_queryset_cannot_hide_in_a_subquery(tenant_a):
    with pytest.raises(TenantNotSet):
        list(Department.objects.for_tenant(tenant_a).filter(pk__in=Department.objects.values("pk")))


def test_the_current_tenant_scopes_the_default_manager(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        names = set(Department.objects.values_list("tenant_id", flat=True))
    assert names == {tenant_a.pk}


def test_for_tenant_refuses_another_tenant_while_working_for_one(tenant_a, tenant_b):
    with tenant_context(tenant_a), pytest.raises(TenantMismatch):
        Department.objects.for_tenant(tenant_b)


def test_creating_a_row_of_another_tenant_is_refused(tenant_a, tenant_b):
    with tenant_context(tenant_a), pytest.raises(TenantMismatch):
        Department.objects.create(tenant=tenant_b, name="越界部门")


def test_platform_mode_sees_every_tenant_and_ends_with_its_block(tenant_a, tenant_b):
    with dangerously_all_tenants():
        assert set(Department.objects.values_list("tenant_id", flat=True)) == {tenant_a.pk, tenant_b.pk}
    with pytest.raises(TenantNotSet):
        Department.objects.count()


def test_get_for_tenant_answers_404_for_another_tenants_object_and_a_missing_one(tenant_a, tenant_b):
    theirs = Department.objects.for_tenant(tenant_b).first()
    with pytest.raises(Http404):
        get_for_tenant(Department, tenant=tenant_a, pk=theirs.pk)
    with pytest.raises(Http404):
        get_for_tenant(Department, tenant=tenant_a, pk=10**9)
    assert get_for_tenant(Department, tenant=tenant_b, pk=theirs.pk) == theirs


def test_a_request_leaves_no_tenant_behind(client_a):
    from yuqing.tenancy.context import peek_current_tenant

    client_a.get("/settings/members/")
    assert peek_current_tenant() is None


def test_model_validation_checks_uniqueness_within_the_rows_own_tenant(tenant_a, tenant_b):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Department(tenant=tenant_a, name="公关部").full_clean()
    Department(tenant=tenant_a, name="甲方新部门").full_clean()

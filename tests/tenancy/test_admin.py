"""The Django admin for tenant admins: their tenant only, and every write audited."""

import pytest
from django.urls import reverse

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department


@pytest.fixture
def staff_admin_a(client_for, admin_a):
    admin_a.user.is_staff = True
    admin_a.user.save(update_fields=["is_staff"])
    return client_for(admin_a)


def test_a_tenant_admin_adds_a_department_into_their_own_tenant(staff_admin_a, tenant_a, tenant_b):
    response = staff_admin_a.post(
        reverse("admin:tenancy_department_add"), {"name": "债券舆情组", "kind": "other", "is_active": "on"}
    )
    assert response.status_code == 302
    department = Department.objects.for_tenant(tenant_a).get(name="债券舆情组")
    assert not Department.objects.for_tenant(tenant_b).filter(name="债券舆情组").exists()
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="admin.add")
    assert event.object_id == str(department.pk)


def test_a_handler_with_staff_flag_still_cannot_use_the_admin(client_for, handler_a):
    handler_a.user.is_staff = True
    handler_a.user.save(update_fields=["is_staff"])
    response = client_for(handler_a).get(reverse("admin:tenancy_department_changelist"))
    assert response.status_code == 403


def test_the_membership_form_offers_only_the_tenants_departments(staff_admin_a, tenant_a, tenant_b):
    response = staff_admin_a.get(reverse("admin:tenancy_membership_add"))
    choices = {
        str(pk) for pk in response.context["adminform"].form.fields["department"].queryset.values_list("pk", flat=True)
    }
    assert choices == {str(pk) for pk in Department.objects.for_tenant(tenant_a).values_list("pk", flat=True)}
    assert "tenant" not in response.context["adminform"].form.fields


def test_a_duplicate_name_in_the_admin_gets_a_form_error_not_a_crash(staff_admin_a, tenant_a):
    response = staff_admin_a.post(reverse("admin:tenancy_department_add"), {"name": "公关部", "kind": "pr"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Department.objects.for_tenant(tenant_a).filter(name="公关部").count() == 1

"""Role rules are enforced by the services, whatever the caller."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import UserFactory
from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Department, Membership, Role
from yuqing.tenancy.roles import Permission, has_permission
from yuqing.tenancy.services import department_create, membership_add, membership_update


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.ADMIN, Permission.MANAGE_MEMBERS, True),
        (Role.MANAGER, Permission.WRITE, True),
        (Role.MANAGER, Permission.MANAGE_MEMBERS, False),
        (Role.HANDLER, Permission.WRITE, True),
        (Role.HANDLER, Permission.READ_AUDIT, False),
        (Role.VIEWER, Permission.READ, True),
        (Role.VIEWER, Permission.WRITE, False),
        (Role.AUDITOR, Permission.READ, True),
        (Role.AUDITOR, Permission.READ_AUDIT, True),
        (Role.AUDITOR, Permission.WRITE, False),
    ],
)
def test_each_role_holds_exactly_its_permissions(tenant_a, role, permission, allowed):
    membership = Membership(tenant=tenant_a, role=role, is_active=True)
    assert has_permission(membership, permission) is allowed


def test_an_inactive_membership_holds_no_permission(tenant_a):
    assert not has_permission(Membership(tenant=tenant_a, role=Role.ADMIN, is_active=False), Permission.READ)


@pytest.mark.parametrize("member", ["handler_a", "viewer_a", "auditor_a"])
def test_only_admins_add_members(request, tenant_a, member):
    actor = request.getfixturevalue(member).user
    with pytest.raises(PermissionDenied):
        membership_add(tenant=tenant_a, actor=actor, user=UserFactory(), role=Role.VIEWER)
    assert not Membership.objects.for_tenant(tenant_a).filter(user__username__startswith="user").exists()


def test_a_viewer_cannot_create_a_department(tenant_a, viewer_a):
    with pytest.raises(PermissionDenied, match="只读"):
        department_create(tenant=tenant_a, actor=viewer_a.user, name="新部门")


def test_an_admin_of_another_tenant_cannot_manage_this_one(tenant_a, admin_b):
    with pytest.raises(PermissionDenied):
        membership_add(tenant=tenant_a, actor=admin_b.user, user=UserFactory(), role=Role.ADMIN)


def test_an_admin_adds_a_member_and_the_audit_trail_records_it(tenant_a, admin_a):
    newcomer = UserFactory(username="li.na")
    membership = membership_add(tenant=tenant_a, actor=admin_a.user, user=newcomer, role=Role.AUDITOR)
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="membership.add", object_id=str(membership.pk))
    assert event.actor == admin_a.user
    assert event.changes["role"] == {"before": None, "after": "auditor"}


def test_a_user_is_a_member_of_a_tenant_only_once(tenant_a, admin_a, handler_a):
    with pytest.raises(ValidationError):
        membership_add(tenant=tenant_a, actor=admin_a.user, user=handler_a.user)


def test_a_department_of_another_tenant_is_refused(tenant_a, tenant_b, admin_a):
    foreign = Department.objects.for_tenant(tenant_b).first()
    with pytest.raises(ValidationError):
        membership_add(tenant=tenant_a, actor=admin_a.user, user=UserFactory(), department=foreign)


def test_changing_a_role_records_before_and_after(tenant_a, admin_a, handler_a):
    membership_update(tenant=tenant_a, membership=handler_a, actor=admin_a.user, role=Role.MANAGER)
    handler_a.refresh_from_db()
    assert handler_a.role == Role.MANAGER
    event = AuditEvent.objects.for_tenant(tenant_a).get(action="membership.update")
    assert event.changes == {"role": {"before": "handler", "after": "manager"}}


def test_an_admin_cannot_demote_themselves(tenant_a, admin_a):
    with pytest.raises(ValidationError):
        membership_update(tenant=tenant_a, membership=admin_a, actor=admin_a.user, role=Role.VIEWER)
    admin_a.refresh_from_db()
    assert admin_a.role == Role.ADMIN


def test_an_unchanged_update_writes_no_audit_event(tenant_a, admin_a, handler_a):
    before = AuditEvent.objects.for_tenant(tenant_a).count()
    membership_update(tenant=tenant_a, membership=handler_a, actor=admin_a.user, role=Role.HANDLER)
    assert AuditEvent.objects.for_tenant(tenant_a).count() == before

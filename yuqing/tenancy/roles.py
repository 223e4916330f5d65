"""What each role may do. Services check these; views only hide what a role cannot use."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from yuqing.tenancy.models import Membership, Role


class Permission(StrEnum):
    READ = "read"
    WRITE = "write"
    APPROVE = "approve"
    MANAGE_MEMBERS = "manage_members"
    CONFIGURE = "configure"
    READ_AUDIT = "read_audit"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset({Permission.READ, Permission.WRITE, Permission.APPROVE, Permission.REVEAL_PERSONAL_DATA}),
    Role.HANDLER: frozenset({Permission.READ, Permission.WRITE}),
    Role.VIEWER: frozenset({Permission.READ}),
    # Auditors read everything of their tenant, the audit trail included, and change nothing.
    Role.AUDITOR: frozenset({Permission.READ, Permission.READ_AUDIT}),
}


def has_permission(membership: Membership | None, permission: Permission) -> bool:
    if membership is None or not membership.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(membership.role, frozenset())


def require_permission(membership: Membership | None, permission: Permission) -> None:
    """Raise PermissionDenied, with a message for the user, when the role lacks `permission`."""
    if not has_permission(membership, permission):
        role = membership.get_role_display() if membership else _("非成员")
        raise PermissionDenied(_("您的角色（%(role)s）无权执行此操作。") % {"role": role})

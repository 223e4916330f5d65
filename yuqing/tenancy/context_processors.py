from django.http import HttpRequest

from yuqing.tenancy.roles import Permission, has_permission


def tenancy(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "user_memberships": getattr(request, "memberships", []),
        "can": {permission.value: has_permission(membership, permission) for permission in Permission},
    }

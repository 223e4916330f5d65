"""Who may write customer data: the role check every customer service starts with."""

from __future__ import annotations

from yuqing.tenancy.models import Tenant, User
from yuqing.tenancy.roles import Permission, require_permission
from yuqing.tenancy.selectors import membership_of


def require_role(*, tenant: Tenant, actor: User | None, permission: Permission) -> None:
    """Members need the permission in `tenant`.

    `actor=None` is platform code (jobs, demo data, imports by the operator's command), and a
    superuser is the platform operator working in the Django admin: both are allowed, and the audit
    events name them. Revealing personal data is stricter and does not use this helper.
    """
    if actor is None or actor.is_superuser:
        return
    require_permission(membership_of(tenant=tenant, user=actor), permission)

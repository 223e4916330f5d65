"""What the incident services share: tenant checks of related rows, the row lock, timeline and audit.

These are steps inside a service that `tenancy.guard.tenant_service` already guards (its tenant,
its actor's permission, its transaction), never called on their own, so they take no guard of
their own: a savepoint per timeline line would only cost queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from incidents.models import Incident, Phase, TimelineEntry
from yuqing.audit.services import audit_record
from yuqing.tenancy.models import Department, Membership, Tenant, User
from yuqing.tenancy.roles import Permission, has_permission


def locked_incident(tenant: Tenant, incident: Incident) -> Incident:
    """The incident row, locked for this transaction and read again from the tenant's data."""
    return Incident.objects.for_tenant(tenant).select_for_update().get(pk=incident.pk)


def require_open(incident: Incident) -> None:
    if incident.phase == Phase.CLOSED:
        raise ValidationError(_("事件已关闭，不能再修改；如需继续处置，请先退回到处置阶段。"), code="closed")


def check_member(tenant: Tenant, member: Membership | None, field: str, *, label: str) -> None:
    """A member chosen for a role in the case: of this tenant, active, and allowed to write."""
    if member is None:
        return
    if member.tenant_id != tenant.pk or not member.is_active:
        raise ValidationError({field: _("%(label)s必须是本机构的在职成员。") % {"label": label}})
    if not has_permission(member, Permission.WRITE):
        raise ValidationError(
            {field: _("%(role)s角色不能担任%(label)s。") % {"role": member.get_role_display(), "label": label}}
        )


def check_department(tenant: Tenant, department: Department | None, field: str = "department") -> None:
    if department is None:
        return
    if department.tenant_id != tenant.pk:
        raise ValidationError({field: _("部门不属于本机构。")})
    if not department.is_active:
        raise ValidationError({field: _("部门“%(name)s”已停用。") % {"name": department.name}})


def check_owned(tenant: Tenant, rows: Iterable[models.Model], field: str, *, label: str) -> list[models.Model]:
    """Rows of a many-to-many choice: every one must be the tenant's, or the whole choice is refused."""
    rows = list(rows)
    if any(getattr(row, "tenant_id", None) != tenant.pk for row in rows):
        raise ValidationError({field: _("所选%(label)s不属于本机构。") % {"label": label}})
    return rows


def timeline_add(
    *,
    tenant: Tenant,
    incident: Incident,
    kind: str,
    body: str,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        tenant=tenant,
        incident=incident,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        body=body,
        data=data or {},
    )


def audit(
    tenant: Tenant, actor: User | None, action: str, target: models.Model, changes: dict[str, Any] | None = None
) -> None:
    """One audit event; call it last in a service, after every row lock the service takes.

    audit_record locks the tenant row; taking it last keeps the lock order (rows of the case, then
    the tenant) the same in every service and in the sweep, so they cannot deadlock each other.
    """
    audit_record(tenant=tenant, actor=actor, action=action, target=target, changes=changes or {})

"""Writes of tenancy: tenants, departments, memberships. Each writes its audit event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from yuqing.audit.services import audit_record, changes_between
from yuqing.tenancy.context import TenantMismatch
from yuqing.tenancy.guard import tenant_service
from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.roles import Permission

DEFAULT_DEPARTMENTS: list[tuple[str, str]] = [
    (Department.Kind.PR, "公关部"),
    (Department.Kind.LEGAL, "法务部"),
    (Department.Kind.CUSTOMER_SERVICE, "客服中心"),
    (Department.Kind.TECH_SUPPORT, "技术支持部"),
    (Department.Kind.RISK, "风险管理部"),
    (Department.Kind.MANAGEMENT, "管理层"),
]


# Not a tenant service: there is no tenant to work for or be a member of yet. Platform code only
# (create_tenant, demo data, tests), so no actor check either.
@transaction.atomic
def tenant_create(*, slug: str, name: str, time_zone: str = "Asia/Shanghai", actor: User | None = None) -> Tenant:
    """A new tenant with the six default departments."""
    tenant = Tenant(slug=slug, name=name, time_zone=time_zone)
    tenant.full_clean()
    tenant.save()
    Department.objects.bulk_create(
        [Department(tenant=tenant, kind=kind, name=label) for kind, label in DEFAULT_DEPARTMENTS]
    )
    audit_record(tenant=tenant, actor=actor, action="tenant.create", target=tenant, changes={"name": name})
    return tenant


@tenant_service(Permission.MANAGE_MEMBERS)
def department_create(*, tenant: Tenant, actor: User, name: str, kind: str = Department.Kind.OTHER) -> Department:
    if Department.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": _("已有同名部门。")})
    department = Department.objects.create(tenant=tenant, name=name, kind=kind)
    audit_record(tenant=tenant, actor=actor, action="department.create", target=department, changes={"name": name})
    return department


def _check_department(tenant: Tenant, department: Department | None) -> None:
    if department is not None and department.tenant_id != tenant.pk:
        raise ValidationError({"department": _("部门不属于本租户。")})


@tenant_service(Permission.MANAGE_MEMBERS)
def membership_add(
    *,
    tenant: Tenant,
    actor: User | None,
    user: User,
    role: str = Role.HANDLER,
    department: Department | None = None,
    title: str = "",
    ip_address: str | None = None,
) -> Membership:
    """Add a user to the tenant. Only the tenant's admins (or platform code, actor=None) may."""
    _check_department(tenant, department)
    if Membership.objects.for_tenant(tenant).filter(user=user).exists():
        raise ValidationError({"user": _("该用户已是本租户成员。")})
    membership = Membership.objects.create(tenant=tenant, user=user, role=role, department=department, title=title)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="membership.add",
        target=membership,
        changes=changes_between({}, {"user": user.username, "role": role, "department": department}),
        ip_address=ip_address,
    )
    return membership


@tenant_service(Permission.MANAGE_MEMBERS)
def membership_update(
    *,
    tenant: Tenant,
    membership: Membership,
    actor: User,
    role: str | None = None,
    department: Department | None = None,
    is_active: bool | None = None,
    ip_address: str | None = None,
) -> Membership:
    if membership.tenant_id != tenant.pk:
        raise TenantMismatch(f"Membership {membership.pk} is not of tenant {tenant.pk}.")
    _check_department(tenant, department)
    before = {"role": membership.role, "department": membership.department_id, "is_active": membership.is_active}
    if role is not None:
        if role not in Role.values:
            raise ValidationError({"role": _("无效的角色。")})
        membership.role = role
    if department is not None:
        membership.department = department
    if is_active is not None:
        membership.is_active = is_active
    after = {"role": membership.role, "department": membership.department_id, "is_active": membership.is_active}
    if before == after:
        return membership
    if membership.user_id == actor.pk and (membership.role != Role.ADMIN or not membership.is_active):
        raise ValidationError(_("不能撤销自己的管理员身份。"))
    membership.save(update_fields=["role", "department", "is_active"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="membership.update",
        target=membership,
        changes=changes_between(before, after),
        ip_address=ip_address,
    )
    return membership


@tenant_service(Permission.MANAGE_MEMBERS)
def member_add_by_username(
    *,
    tenant: Tenant,
    actor: User,
    username: str,
    display_name: str,
    email: str = "",
    password: str = "",
    role: str = Role.HANDLER,
    department: Department | None = None,
    title: str = "",
    ip_address: str | None = None,
) -> Membership:
    """Add an existing user by username, or create the user first (then a password is needed)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError({"password": _("新用户需要设置初始密码。")})
        user = User(username=username, display_name=display_name, email=email)
        validate_password(password, user)
        user.set_password(password)
        user.save()
    return membership_add(
        tenant=tenant, actor=actor, user=user, role=role, department=department, title=title, ip_address=ip_address
    )


# ---------------------------------------------------------------- rows written in the Django admin


@tenant_service(Permission.CONFIGURE)
def tenant_row_save(
    *,
    tenant: Tenant,
    actor: User | None,
    instance: models.Model,
    changes: dict[str, Any],
    ip_address: str | None = None,
) -> models.Model:
    """Save a tenant-owned row as the admin's form left it, into `tenant`, with its audit event.

    For models without a service of their own; `changes` are the form's changed fields and their
    new values. A row of another tenant is refused.
    """
    adding = instance._state.adding
    if adding:
        instance.tenant = tenant
    elif instance.tenant_id != tenant.pk:
        raise TenantMismatch(f"{instance._meta.label} {instance.pk} is not of tenant {tenant.pk}.")
    instance.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="admin.add" if adding else "admin.change",
        target=instance,
        changes=changes,
        ip_address=ip_address,
    )
    return instance


@tenant_service(Permission.CONFIGURE)
def tenant_row_delete(
    *, tenant: Tenant, actor: User | None, instance: models.Model, ip_address: str | None = None
) -> None:
    """Delete a tenant-owned row from the Django admin; the audit event names it first."""
    if instance.tenant_id != tenant.pk:
        raise TenantMismatch(f"{instance._meta.label} {instance.pk} is not of tenant {tenant.pk}.")
    audit_record(tenant=tenant, actor=actor, action="admin.delete", target=instance, ip_address=ip_address)
    instance.delete()

"""Tenants, their departments, users and memberships (with roles)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.base import ModelBase
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.context import database_scope, peek_current_tenant, tenant_context
from yuqing.tenancy.managers import TenantBaseManager, TenantManager


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("未知的时区：%(value)s"), params={"value": value})


class Tenant(models.Model):
    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = _("租户")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@contextmanager
def _own_tenant_scope(instance: TenantOwned) -> Iterator[None]:
    if peek_current_tenant() is None and instance.tenant_id is not None:
        with tenant_context(instance.tenant):
            yield
    else:
        yield


class TenantModelBase(ModelBase):
    """Gives tenant models TenantBaseManager as the manager Django uses behind the scenes (foreign
    keys followed, refresh_from_db, save's UPDATE). A metaclass property rather than Meta's
    base_manager_name, which a subclass's own Meta would drop and which migrations would record."""

    @property
    def _base_manager(cls) -> models.Manager:
        manager = cls.__dict__.get("_tenant_base_manager")
        if manager is None:
            manager = TenantBaseManager()
            manager.name = "_base_manager"
            manager.model = cls
            manager.auto_created = True
            cls._tenant_base_manager = manager
        return manager


class TenantRowWrites(models.Model):
    """Outside any tenant context (a service, a command) the database sees the row's own tenant
    while it is saved or deleted, so row-level security lets the write through; inside a context,
    the context's tenant decides (and refuses a row of another tenant)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        with database_scope(self.tenant_id if peek_current_tenant() is None else None):
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with database_scope(self.tenant_id if peek_current_tenant() is None else None):
            return super().delete(*args, **kwargs)

    # Validation looks related rows up (a foreign key's value must exist) without naming the row.
    def full_clean(self, *args: Any, **kwargs: Any) -> None:
        with database_scope(self.tenant_id if peek_current_tenant() is None else None):
            super().full_clean(*args, **kwargs)


class TenantOwned(TenantRowWrites, metaclass=TenantModelBase):
    """Base of every tenant-owned model: a non-null tenant and the scoped default manager."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("租户"))

    objects = TenantManager()

    class Meta:
        abstract = True

    # Django's own uniqueness and constraint checks query through the default manager; they run
    # in this row's tenant when no tenant is current (a service, a command), never across tenants.
    def validate_unique(self, exclude: Any = None) -> None:
        with _own_tenant_scope(self):
            super().validate_unique(exclude)

    def validate_constraints(self, exclude: Any = None) -> None:
        with _own_tenant_scope(self):
            super().validate_constraints(exclude)


class User(AbstractUser):
    """A person who signs in. What they may do depends on their membership in each tenant."""

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Department(TenantOwned):
    class Kind(models.TextChoices):
        PR = "pr", _("公关")
        LEGAL = "legal", _("法务")
        CUSTOMER_SERVICE = "customer_service", _("客服")
        TECH_SUPPORT = "tech_support", _("技术支持")
        RISK = "risk", _("风控")
        MANAGEMENT = "management", _("管理层")
        OTHER = "other", _("其他")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["tenant", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="department_unique_name_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    MANAGER = "manager", _("主管")
    HANDLER = "handler", _("处置人员")
    VIEWER = "viewer", _("只读")
    AUDITOR = "auditor", _("审计")


class Membership(TenantOwned):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("用户"))
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("部门"),
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.HANDLER)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        ordering = ["tenant", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id} ({self.get_role_display()})"

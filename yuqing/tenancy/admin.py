"""The admin base every tenant-owned model uses, and the tenancy models' own admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.access import client_ip
from yuqing.tenancy.managers import TenantManager
from yuqing.tenancy.models import Department, Membership, Role, Tenant, User
from yuqing.tenancy.services import tenant_row_delete, tenant_row_save


def _is_tenant_owned(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager, TenantManager)


class TenantScopedAdmin(admin.ModelAdmin):
    """Superusers see every tenant; a tenant admin sees only the tenant they are working in.

    Querysets, foreign-key choices and the tenant field all come from that scope, and an object
    of another tenant answers 404 like a missing one.
    """

    def _scope_tenant(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        return None if request.user.is_superuser else request.tenant

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = self.model.objects.dangerously_all_tenants()
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        if request.user.is_superuser:
            return queryset
        tenant = request.tenant
        return queryset.filter(tenant=tenant) if tenant is not None else queryset.none()

    def _is_tenant_admin(self, request: HttpRequest) -> bool:
        membership = getattr(request, "membership", None)
        return bool(membership and membership.is_active and membership.role == Role.ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or (request.user.is_staff and self._is_tenant_admin(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        tenant = self._scope_tenant(request)
        if related is Tenant:
            kwargs["queryset"] = Tenant.objects.all() if tenant is None else Tenant.objects.filter(pk=tenant.pk)
        elif _is_tenant_owned(related):
            base = related.objects.dangerously_all_tenants()
            kwargs["queryset"] = base if tenant is None else base.filter(tenant=tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        tenant = self._scope_tenant(request)
        if _is_tenant_owned(related):
            base = related.objects.dangerously_all_tenants()
            kwargs["queryset"] = base if tenant is None else base.filter(tenant=tenant)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # Django checks permissions before it looks the object up: on an admin that refuses an action
    # (read-only history, say), another tenant's row would answer 403 and so give away that it
    # exists. Look it up first: missing and foreign both answer 404, as everywhere else.
    def _require_object(self, request: HttpRequest, object_id: str | None) -> None:
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        self._require_object(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._require_object(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._require_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> Any:
        # Another tenant's object and a missing one answer alike: 404, not a hint in a redirect.
        raise Http404

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and "tenant" not in filters:
            filters.insert(0, "tenant")
        return filters

    # Models with a service of their own override these two to call it.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # A tenant admin can only ever write into their own tenant; a superuser chose it on the form.
        tenant = self._scope_tenant(request) or obj.tenant
        tenant_row_save(
            tenant=tenant,
            actor=request.user,
            instance=obj,
            changes={field: {"after": form.cleaned_data.get(field)} for field in form.changed_data},
            ip_address=client_ip(request),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        tenant_row_delete(tenant=obj.tenant, actor=request.user, instance=obj, ip_address=client_ip(request))

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """A tenant admin's form has no tenant field, so Django would skip every per-tenant unique
        constraint and a duplicate would reach the database as an IntegrityError. The form gets the
        tenant before validation and checks those constraints, answering with their own message."""
        form_class = super().get_form(request, obj, change=change, **kwargs)
        tenant = self._scope_tenant(request)
        if tenant is None:
            return form_class

        class TenantForm(form_class):  # type: ignore[misc, valid-type]
            def validate_unique(self) -> None:
                super().validate_unique()
                self.instance.tenant = tenant
                exclude = self._get_validation_exclusions() - {"tenant"}
                try:
                    self.instance.validate_constraints(exclude=exclude)
                except ValidationError as error:
                    self._update_errors(error)

        return TenantForm

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("tenant")
        return exclude


class TenantScopedReadOnlyAdmin(TenantScopedAdmin):
    """Rows written only through the portal's services (incidents, plans...): the tenant's admins
    (and superusers) look them up here, never add, change or delete them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "is_active", "created_at"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk=request.tenant.pk) if request.tenant else queryset.none()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    has_view_permission = has_change_permission = lambda self, request, obj=None: request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a tenant with an audit trail is deactivated, never deleted


@admin.register(Department)
class DepartmentAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "department", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__display_name"]
    raw_id_fields = ["user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("姓名"), {"fields": ("display_name",)}))
    list_display = ["username", "display_name", "email", "is_staff", "is_active"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

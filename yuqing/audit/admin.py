"""The audit trail in the Django admin: to read, never to add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.admin import TenantScopedAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    list_display = ["sequence", "created_at", "actor_label", "action", "object_type", "object_id", "object_repr"]
    list_display_links = ["sequence", "action"]
    list_filter = ["action"]
    search_fields = ["object_repr", "object_id", "actor_label"]
    list_select_related = ["tenant"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False  # a full count of a large trail on every page load is not worth it

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))
        return ["tenant", *columns] if request.user.is_superuser else columns

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

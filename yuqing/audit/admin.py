"""The audit trail in the Django admin: to read, never to add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse

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

    # Django checks the permission before it looks the object up: without these, another tenant's
    # event would answer 403 to a change or delete and so give away that it exists.
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._get_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._get_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def _get_or_404(self, request: HttpRequest, object_id: str) -> AuditEvent:
        event = self.get_object(request, unquote(object_id))
        if event is None:
            raise Http404
        return event

"""Admin of incident configuration (natures, SLA policies) and a read-mostly view of the cases.

An SLA policy's limits are the model's own (`SlaPolicy.clean`), so the admin form shows them per field.

Incidents, tasks and the timeline are worked in the portal, where the services keep the phases,
SLA clocks, timeline and audit trail consistent. Here they can be looked up, not rewritten: the
timeline is append-only, and an incident edited behind the services' back would leave its clocks
and history wrong.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, IncidentNature, IncidentTask, SlaPolicy, TimelineEntry
from yuqing.tenancy.admin import TenantScopedAdmin, TenantScopedReadOnlyAdmin


@admin.register(IncidentNature)
class IncidentNatureAdmin(TenantScopedAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Incidents keep their nature (PROTECT): retire one by switching it off instead.
        if obj is not None and Incident.objects.dangerously_all_tenants().filter(nature=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(TenantScopedAdmin):
    list_display = [
        "severity",
        "tier",
        "clock_kind",
        "first_response_minutes",
        "resolution_minutes",
        "resolution_days",
        "warn_share",
    ]
    list_filter = ["severity", "tier", "clock_kind"]
    search_fields = ["legal_basis"]
    ordering = ["severity", "tier"]


class TaskInline(admin.TabularInline):
    model = IncidentTask
    fields = ["title", "department", "assignee", "due_at", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return IncidentTask.objects.dangerously_all_tenants().select_related("department", "assignee__user")


@admin.register(Incident)
class IncidentAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["code", "title", "severity", "phase", "nature", "owner", "opened_at", "closed_at"]
    list_filter = ["severity", "phase", "media_level"]
    search_fields = ["code", "title", "summary"]
    date_hierarchy = "opened_at"
    ordering = ["-opened_at"]
    list_select_related = ["nature", "owner__user"]
    # Their links are tenant-owned through models, which the admin shows but cannot edit in a form.
    readonly_fields = ["departments", "customers", "feedback"]
    inlines = [TaskInline]
    fieldsets = [
        (None, {"fields": ["code", "title", "summary", "severity", "nature", "phase", "owner", "created_by"]}),
        (_("范围"), {"fields": ["estimated_reach", "media_level", "regions", "departments", "customers", "feedback"]}),
        (_("响应与信息收集"), {"fields": ["facts_who", "facts_what", "facts_when", "background", "legal_questions"]}),
        (_("研判与方案"), {"fields": ["analysis", "plan", "responsibilities"]}),
        (_("实施与反馈"), {"fields": ["actions_taken", "communications", "customer_feedback_summary"]}),
        (_("时间"), {"fields": ["opened_at", "first_response_at", "resolved_at", "closed_at", "created_at"]}),
    ]


@admin.register(IncidentTask)
class IncidentTaskAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["title", "incident", "department", "assignee", "due_at", "status"]
    list_filter = ["status"]  # no department filter: its choices would span tenants
    search_fields = ["title", "incident__code", "incident__title"]
    list_select_related = ["incident", "department", "assignee__user"]
    ordering = ["-created_at"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["created_at", "incident", "kind", "actor", "short_body"]
    list_filter = ["kind"]
    search_fields = ["body", "incident__code"]
    list_select_related = ["incident", "actor"]
    ordering = ["-created_at"]

    @admin.display(description=_("内容"))
    def short_body(self, obj: TimelineEntry) -> str:
        return obj.body if len(obj.body) <= 60 else f"{obj.body[:60]}…"

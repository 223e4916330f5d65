"""Admin of the training app: a read-only view of the emergency plans.

Plans are written in the portal, where the services number versions without gaps, keep
maker-checker approval, the one version in force and the audit trail. Here they can be looked up,
never rewritten: an approved version is immutable anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from training.models import EmergencyPlan, PlanStep, PlanVersion
from yuqing.tenancy.admin import TenantScopedAdmin


class ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---- emergency plans (应急预案) ----


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(ReadOnlyAdmin):
    list_display = ["title", "scenario", "severity", "next_review_at", "tenant"]
    list_filter = ["scenario", "severity"]
    search_fields = ["title"]


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    fields = ["order", "department_kind", "title", "target_minutes", "description"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        return PlanStep.objects.dangerously_all_tenants().order_by("order")


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "status", "is_in_force", "approved_at", "tenant"]
    list_filter = ["status", "is_in_force"]
    list_select_related = ["plan"]
    inlines = [PlanStepInline]


@admin.register(PlanStep)
class PlanStepAdmin(ReadOnlyAdmin):
    list_display = ["title", "version", "order", "department_kind", "target_minutes"]
    list_filter = ["department_kind"]
    list_select_related = ["version__plan"]

"""Admin of the training app.

Courses are written through the course services. Emergency plans, sessions, certifications and plan
lines are read here, never rewritten: plans are written in the portal, where the services number
versions without gaps, keep maker-checker approval, the one version in force and the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from training.models import (
    Certification,
    Course,
    EmergencyPlan,
    PlanStep,
    PlanVersion,
    TrainingPlanItem,
    TrainingSession,
)
from training.services import CourseData, course_create, course_update
from yuqing.tenancy.admin import TenantScopedAdmin, TenantScopedReadOnlyAdmin

# ---- emergency plans (应急预案) ----


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(TenantScopedReadOnlyAdmin):
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
class PlanVersionAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["plan", "number", "status", "is_in_force", "approved_at", "tenant"]
    list_filter = ["status", "is_in_force"]
    list_select_related = ["plan"]
    inlines = [PlanStepInline]


@admin.register(PlanStep)
class PlanStepAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["title", "version", "order", "department_kind", "target_minutes"]
    list_filter = ["department_kind"]
    list_select_related = ["version__plan"]


# ---- courses, sessions, certifications ----


@admin.register(Course)
class CourseAdmin(TenantScopedAdmin):
    list_display = ["title", "topic", "is_required", "validity_months", "pass_mark", "is_active"]
    list_filter = ["topic", "is_required", "is_active"]
    search_fields = ["title"]

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        departments = [link.department for link in obj.audience_departments.all()] if change else []
        roles = [link.role for link in obj.audience_roles.all()] if change else []
        data = CourseData(
            title=obj.title,
            topic=obj.topic,
            description=obj.description,
            is_required=obj.is_required,
            validity_months=obj.validity_months,
            pass_mark=obj.pass_mark,
            departments=departments,
            roles=roles,
            is_active=obj.is_active,
        )
        tenant = self._scope_tenant(request) or obj.tenant
        if change:
            fresh = Course.objects.for_tenant(tenant).get(pk=obj.pk)
            saved = course_update(tenant=tenant, actor=request.user, course=fresh, data=data)
        else:
            saved = course_create(tenant=tenant, actor=request.user, data=data)
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # certifications hang on the course: deactivate it instead


@admin.register(TrainingSession)
class TrainingSessionAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["course", "starts_at", "ends_at", "place"]
    list_select_related = ["course"]


@admin.register(Certification)
class CertificationAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["course", "member", "issued_at", "expires_at"]
    list_select_related = ["course", "member__user"]


@admin.register(TrainingPlanItem)
class TrainingPlanItemAdmin(TenantScopedReadOnlyAdmin):
    list_display = ["department", "year", "quarter", "course"]
    list_select_related = ["department", "course"]


# --- end of the training slice ---

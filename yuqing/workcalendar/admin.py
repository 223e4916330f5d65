"""Admin for the business calendar, scoped to the tenant being worked in."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.admin import TenantScopedAdmin
from yuqing.workcalendar.models import BusinessCalendar, CalendarOverride, HolidayNotice


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TenantScopedAdmin):
    list_display = ["tenant", "work_start", "work_end", "lunch_start", "lunch_end", "schedule_years", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One calendar per tenant: a tenant admin who has one edits it rather than adding another.
        if not super().has_add_permission(request):
            return False
        tenant = self._scope_tenant(request)
        return tenant is None or not BusinessCalendar.objects.for_tenant(tenant).exists()


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["tenant", "date", "kind", "note"]
        widgets = {"kind": forms.RadioSelect}


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(TenantScopedAdmin):
    form = CalendarOverrideForm
    list_display = ["date", "weekday", "kind", "note", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["note"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarOverride) -> str:
        return date_format(obj.date, "l")


@admin.register(HolidayNotice)
class HolidayNoticeAdmin(TenantScopedAdmin):
    """Read-only here: notices are loaded in the portal, where they are parsed, previewed and audited."""

    list_display = ["year", "loaded_by", "loaded_at"]
    readonly_fields = ["tenant", "year", "text", "days", "loaded_by", "loaded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: HolidayNotice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: HolidayNotice | None = None) -> bool:
        return False

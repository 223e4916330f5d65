"""The audit trail's filter form. Every choice comes from the current tenant only."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yuqing.audit.models import AuditEvent
from yuqing.tenancy.models import Membership, Tenant, User


class AuditEventFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("开始日期不能晚于结束日期。"), code="date_order")
        return cleaned


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(
        label=_("操作人"), queryset=User.objects.none(), empty_label=_("全部"), null_label=_("系统（无操作人）")
    )
    action = django_filters.ChoiceFilter(label=_("操作"), choices=[], empty_label=_("全部"))
    object_type = django_filters.ChoiceFilter(label=_("对象类型"), choices=[], empty_label=_("全部"))
    object_id = django_filters.CharFilter(label=_("对象编号"), max_length=64)
    date_from = django_filters.DateFilter(label=_("开始日期"), method="filter_date_from", widget=_date_widget())
    date_to = django_filters.DateFilter(label=_("结束日期"), method="filter_date_to", widget=_date_widget())
    q = django_filters.CharFilter(
        label=_("对象关键词"),
        field_name="object_repr",
        lookup_expr="icontains",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("对象名称中的文字")}),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = AuditEventFilterForm

    def __init__(self, data: Any = None, queryset: QuerySet | None = None, *, tenant: Tenant, **kwargs: Any) -> None:
        if queryset is None:
            queryset = AuditEvent.objects.for_tenant(tenant)
        super().__init__(data, queryset, **kwargs)
        self.tenant = tenant
        events = AuditEvent.objects.for_tenant(tenant)
        # Former members stay in the list: their events are still in the trail.
        self.filters["actor"].queryset = User.objects.filter(
            pk__in=Membership.objects.for_tenant(tenant).values("user_id")
        ).order_by("username")
        self.filters["action"].extra["choices"] = _distinct_choices(events, "action")
        self.filters["object_type"].extra["choices"] = _distinct_choices(events.exclude(object_type=""), "object_type")

    def _local_midnight(self, day: dt.date) -> dt.datetime:
        """The start of `day` in the tenant's time zone: the dates in the form are the tenant's dates."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(self.tenant.time_zone))

    def filter_date_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(created_at__gte=self._local_midnight(value))

    def filter_date_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(created_at__lt=self._local_midnight(value + dt.timedelta(days=1)))


def _distinct_choices(events: QuerySet, field: str) -> list[tuple[str, str]]:
    values = events.order_by(field).values_list(field, flat=True).distinct()
    return [(value, value) for value in values]

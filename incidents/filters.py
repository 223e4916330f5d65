"""The incident list's filters. Every choice list comes from the current tenant only."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Tier
from incidents.models import Incident, IncidentNature, Phase, Severity
from incidents.selectors.choices import department_choices, nature_choices
from incidents.selectors.sla import SLA_STATE_CHOICES, sla_state_q
from yuqing.tenancy.models import Department, Tenant


class IncidentFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("opened_from"), cleaned.get("opened_to")
        if start and end and start > end:
            raise ValidationError(_("开始日期不能晚于结束日期。"), code="date_order")
        return cleaned


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_text", max_length=100)
    severity = django_filters.ChoiceFilter(label=_("级别"), choices=Severity.choices, empty_label=_("全部级别"))
    phase = django_filters.ChoiceFilter(
        label=_("阶段"),
        choices=[("open", _("处置中（未关闭）")), *Phase.choices],
        method="filter_phase",
        empty_label=_("全部阶段"),
    )
    nature = django_filters.ModelChoiceFilter(
        label=_("性质"), queryset=IncidentNature.objects.none(), empty_label=_("全部性质")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("部门"), method="filter_department", queryset=Department.objects.none(), empty_label=_("全部部门")
    )
    sla = django_filters.ChoiceFilter(
        label=_("时限状态"), choices=SLA_STATE_CHOICES, method="filter_sla", empty_label=_("全部")
    )
    tier = django_filters.ChoiceFilter(
        label=_("客户层级"), choices=Tier.choices, method="filter_tier", empty_label=_("全部层级")
    )
    opened_from = django_filters.DateFilter(label=_("发现日期自"), method="filter_opened_from", widget=_date_widget())
    opened_to = django_filters.DateFilter(label=_("发现日期至"), method="filter_opened_to", widget=_date_widget())

    class Meta:
        model = Incident
        fields: list[str] = []
        form = IncidentFilterForm

    def __init__(self, data: Any = None, *args: Any, tenant: Tenant, now: dt.datetime | None = None, **kwargs: Any):
        super().__init__(data, *args, **kwargs)
        self.tenant = tenant
        self.now = now or timezone.now()
        self.filters["nature"].queryset = nature_choices(tenant=tenant)
        self.filters["department"].queryset = department_choices(tenant=tenant)
        for name, what in (("nature", _("事件性质")), ("department", _("部门"))):
            self.filters[name].extra["error_messages"] = {
                "invalid_choice": _("请选择本机构的%(what)s。") % {"what": what}
            }

    def filter_text(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(code__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text))

    def filter_phase(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        return queryset.exclude(phase=Phase.CLOSED) if value == "open" else queryset.filter(phase=value)

    def filter_sla(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        return queryset.filter(sla_state_q(value, tenant=self.tenant, now=self.now))

    def filter_department(self, queryset: models.QuerySet, name: str, value: Department) -> models.QuerySet:
        # A subquery, not a join: the rows stay one per incident without DISTINCT.
        through = Incident.departments.through.objects.for_tenant(self.tenant).filter(department=value)
        return queryset.filter(pk__in=through.values("incident_id"))

    def filter_tier(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        # An exists-subquery, not a join: an incident with two VIP customers is still one row.
        return queryset.filter(
            pk__in=Incident.customers.through.objects.for_tenant(self.tenant)
            .filter(customer__tier=value)
            .values("incident_id")
        )

    def filter_opened_from(self, queryset: models.QuerySet, name: str, value: dt.date) -> models.QuerySet:
        return queryset.filter(opened_at__gte=self._start_of(value))

    def filter_opened_to(self, queryset: models.QuerySet, name: str, value: dt.date) -> models.QuerySet:
        return queryset.filter(opened_at__lt=self._start_of(value + dt.timedelta(days=1)))

    def _start_of(self, day: dt.date) -> dt.datetime:
        # Dates are the tenant's calendar days, not UTC ones: the same zone as `with_tenant_time`.
        return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(self.tenant.time_zone))

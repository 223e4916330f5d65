"""The feedback list's filters. Every choice list comes from the current tenant only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Feedback, Tier
from customers.selectors.feedback import OPEN, due_soon_window, handler_choices
from yuqing.tenancy.models import Membership, Tenant

OPEN_STATUS = "open"
YES, NO = "yes", "no"


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return str(obj.user)


class FeedbackFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_text")
    status = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[(OPEN_STATUS, _("未办结（全部）")), *Feedback.Status.choices],
        method="filter_status",
        empty_label=_("全部状态"),
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Feedback.Kind.choices, empty_label=_("全部类型"))
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Feedback.Channel.choices, empty_label=_("全部渠道"))
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=Feedback.Category.choices, empty_label=_("全部类别")
    )
    handler = django_filters.ModelChoiceFilter(
        label=_("处理人"), queryset=Membership.objects.none(), empty_label=_("全部处理人")
    )
    tier = django_filters.ChoiceFilter(
        label=_("客户层级"), field_name="customer__tier", choices=Tier.choices, empty_label=_("全部层级")
    )
    overdue = django_filters.ChoiceFilter(
        label=_("是否逾期"),
        choices=[(YES, _("已逾期")), (NO, _("未逾期"))],
        method="filter_overdue",
        empty_label=_("不限"),
    )
    due_soon = django_filters.ChoiceFilter(
        label=_("即将到期"), choices=[(YES, _("即将到期"))], method="filter_due_soon", empty_label=_("不限")
    )
    received_from = django_filters.DateFilter(
        label=_("接收日期自"),
        field_name="received_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        label=_("接收日期至"),
        field_name="received_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Feedback
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, tenant: Tenant, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.tenant = tenant
        self.now = now
        handler = self.filters["handler"]
        handler.field_class = HandlerChoiceField
        handler.queryset = handler_choices(tenant=tenant)

    def filter_text(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(subject__icontains=text)
            | Q(content__icontains=text)
            | Q(customer__name__icontains=text)
            | Q(reporter_name__icontains=text)
        )

    def filter_status(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        return queryset.filter(status__in=OPEN) if value == OPEN_STATUS else queryset.filter(status=value)

    def filter_overdue(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        overdue = Q(status__in=OPEN, due_at__lte=self.now)
        if value == YES:
            return queryset.filter(overdue)
        if value == NO:
            return queryset.exclude(overdue)
        return queryset

    def filter_due_soon(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        if value != YES:
            return queryset
        within = due_soon_window(tenant=self.tenant)
        return queryset.filter(status__in=OPEN, due_at__gt=self.now, due_at__lte=self.now + within)

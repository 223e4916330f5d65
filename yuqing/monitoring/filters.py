"""The mention stream's filters. Every choice list (sources, customers) comes from the request's tenant.

The customer choice is searchable: its select renders only the chosen customer, and the search box
beside it asks `monitoring:customer-options` for matching customers of the tenant (htmx), so a tenant
with thousands of customers does not ship them all with every page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from yuqing.monitoring.models import Level, Mention, MentionCustomer, Polarity, Source
from yuqing.tenancy.models import Tenant


def contains_lookup(value: str) -> str:
    """`contains` for text without letter case (Chinese, digits): the same matches as `icontains`
    without upper-casing every row on PostgreSQL."""
    return "contains" if value.upper() == value.lower() else "icontains"


def polarity_q(value: str) -> Q:
    """The mention's polarity as analysts see it: their label when they gave one, else the model's."""
    return Q(labelled_polarity=value) | Q(labelled_polarity="", polarity=value)


class MentionFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("published_from"), cleaned.get("published_to")
        if start and end and start > end:
            raise ValidationError(_("开始日期不能晚于结束日期。"), code="date_order")
        return cleaned


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


UNRATED = "none"


class MentionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_text",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("标题或正文中的文字")}),
    )
    level = django_filters.ChoiceFilter(
        label=_("预警级别"),
        choices=[*Level.choices, (UNRATED, _("未达预警"))],
        method="filter_level",
        empty_label=_("全部级别"),
    )
    source = django_filters.ModelChoiceFilter(
        label=_("信息源"), queryset=Source.objects.none(), empty_label=_("全部信息源")
    )
    customer = django_filters.ModelChoiceFilter(
        label=_("涉及客户"), queryset=Customer.objects.none(), method="filter_customer", empty_label=_("全部客户")
    )
    polarity = django_filters.ChoiceFilter(
        label=_("情感倾向"), choices=Polarity.choices, method="filter_polarity", empty_label=_("全部倾向")
    )
    triage = django_filters.ChoiceFilter(
        label=_("研判状态"), choices=Mention.Triage.choices, empty_label=_("全部研判状态")
    )
    status = django_filters.ChoiceFilter(
        label=_("评分状态"), choices=Mention.Status.choices, empty_label=_("全部评分状态")
    )
    published_from = django_filters.DateFilter(
        label=_("发布日期自"), method="filter_published_from", widget=_date_widget()
    )
    published_to = django_filters.DateFilter(label=_("发布日期至"), method="filter_published_to", widget=_date_widget())

    class Meta:
        model = Mention
        fields: list[str] = []
        form = MentionFilterForm

    def __init__(self, data: Any = None, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.tenant = tenant
        self.filters["source"].queryset = Source.objects.for_tenant(tenant).order_by("name")
        self.filters["customer"].queryset = Customer.objects.for_tenant(tenant)
        for name, what in (("source", _("信息源")), ("customer", _("客户"))):
            self.filters[name].extra["error_messages"] = {
                "invalid_choice": _("请选择本机构的%(what)s。") % {"what": what}
            }

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            # Render only the chosen customer; the search box fetches the others on demand.
            field = form.fields["customer"]
            choices: list[tuple[object, str]] = [("", str(_("全部客户")))]
            chosen = (self.data or {}).get("customer")
            if chosen:
                try:
                    customer = field.queryset.filter(pk=int(chosen)).only("pk", "name").first()
                except (TypeError, ValueError):
                    customer = None
                if customer is not None:
                    choices.append((customer.pk, customer.name))
            field.widget.choices = choices
            field.widget.attrs.update({"data-customer-select": ""})
        return self._form

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        lookup = contains_lookup(text)
        return queryset.filter(Q(**{f"title__{lookup}": text}) | Q(**{f"body__{lookup}": text}))

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == UNRATED:
            return queryset.filter(status=Mention.Status.SCORED, level__isnull=True)
        return queryset.filter(level=int(value))

    def filter_customer(self, queryset: QuerySet, name: str, value: Customer | None) -> QuerySet:
        if value is None:
            return queryset
        # A subquery, not a join: a mention naming the customer twice is still one row.
        links = MentionCustomer.objects.for_tenant(self.tenant).filter(customer=value).values("mention_id")
        return queryset.filter(pk__in=links)

    def filter_polarity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(polarity_q(value))

    def filter_published_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(published_at__gte=self._start_of(value))

    def filter_published_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(published_at__lt=self._start_of(value + dt.timedelta(days=1)))

    def _start_of(self, day: dt.date) -> dt.datetime:
        # Dates are the tenant's calendar days, not UTC ones.
        return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(self.tenant.time_zone))

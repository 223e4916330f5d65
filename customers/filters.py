"""The filters of the customer and feedback lists. Every choice list comes from the request's tenant only.

Filters know the models only: the selectors build them (and hand them what needs a query of its
own, such as the handlers a feedback may have), never the other way round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerAlias, Feedback, Product, Tag, Tier
from customers.validators import MOBILE_RE, looks_like_credit_code, normalise_code, validate_id_number
from yuqing import privacy
from yuqing.tenancy.models import Membership, Tenant


def _contains_lookup(value: str) -> str:
    """`contains` for text without letter case (Chinese, digits): the same matches as `icontains`
    without upper-casing every row, which on PostgreSQL costs more than the match itself."""
    return "contains" if value.upper() == value.lower() else "icontains"


def _is_whole_identifier(code: str) -> bool:
    if len(code) == 11 and code.isdigit():
        return MOBILE_RE.fullmatch(code) is not None
    if len(code) != 18:
        return False
    try:
        validate_id_number(code)
        return True
    except ValidationError:
        return looks_like_credit_code(code)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_text",
        widget=forms.TextInput(
            attrs={"placeholder": _("名称、简称、别名、信用代码、身份证号或手机号"), "type": "search"}
        ),
    )
    tier = django_filters.ChoiceFilter(label=_("层级"), choices=Tier.choices, empty_label=_("全部层级"))
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Customer.Kind.choices, empty_label=_("全部类型"))
    relationship_manager = django_filters.ModelChoiceFilter(
        label=_("客户经理"), queryset=Membership.objects.none(), empty_label=_("全部客户经理")
    )
    region = django_filters.CharFilter(label=_("地区"), method="filter_region")
    product = django_filters.ModelChoiceFilter(
        label=_("产品"), queryset=Product.objects.none(), method="filter_product", empty_label=_("全部产品")
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("标签"), queryset=Tag.objects.none(), method="filter_tag", empty_label=_("全部标签")
    )
    exposure_min = django_filters.NumberFilter(
        label=_("敞口不低于（万元）"), method="filter_exposure_min", min_value=Decimal("0")
    )
    exposure_max = django_filters.NumberFilter(
        label=_("敞口不高于（万元）"), method="filter_exposure_max", min_value=Decimal("0")
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.tenant = tenant
        self.filters["relationship_manager"].queryset = (
            Membership.objects.for_tenant(tenant)
            .select_related("user")
            .order_by("user__display_name", "user__username")
        )
        self.filters["product"].queryset = Product.objects.for_tenant(tenant).order_by("name")
        self.filters["tag"].queryset = Tag.objects.for_tenant(tenant).order_by("name")
        self.form.fields["relationship_manager"].label_from_instance = lambda m: str(m.user)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        code = normalise_code(value)
        if _is_whole_identifier(code):
            # A whole credit code, ID or mobile number: exact, indexed lookups only.
            return queryset.filter(
                Q(credit_code=code)
                | Q(id_number_digest=privacy.digest(code, purpose="id_number"))
                | Q(mobile_digest=privacy.digest(code, purpose="mobile"))
            )
        contains = _contains_lookup(value)
        # An uncorrelated IN: the database scans the aliases once, not once per customer.
        aliases = (
            CustomerAlias.objects.for_tenant(self.tenant).filter(**{f"alias__{contains}": value}).values("customer_id")
        )
        condition = Q(**{f"name__{contains}": value}) | Q(**{f"short_name__{contains}": value}) | Q(pk__in=aliases)
        if code.isalnum() and code.isascii():
            condition |= Q(credit_code__startswith=code)  # part of a code; personal data never matches by part
        return queryset.filter(condition)

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(**{f"region__{_contains_lookup(value)}": value}) if value else queryset

    def filter_product(self, queryset: QuerySet, name: str, value: Product | None) -> QuerySet:
        if value is None:
            return queryset
        through = Customer.products.through.objects.for_tenant(self.tenant).filter(
            customer_id=OuterRef("pk"), product=value
        )
        return queryset.filter(Exists(through))

    def filter_tag(self, queryset: QuerySet, name: str, value: Tag | None) -> QuerySet:
        if value is None:
            return queryset
        through = Customer.tags.through.objects.for_tenant(self.tenant).filter(customer_id=OuterRef("pk"), tag=value)
        return queryset.filter(Exists(through))

    # Exposure is max(credit limit, loan balance); the form speaks 万元, the database 元.
    def filter_exposure_min(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        amount = value * 10000
        return queryset.filter(Q(credit_limit__gte=amount) | Q(loan_balance__gte=amount))

    def filter_exposure_max(self, queryset: QuerySet, name: str, value: Decimal | None) -> QuerySet:
        if value is None:
            return queryset
        amount = value * 10000
        return queryset.filter(credit_limit__lte=amount, loan_balance__lte=amount)


# ---------------------------------------------------------------- feedback

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

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        tenant: Tenant,
        now: dt.datetime,
        handlers: QuerySet[Membership],
        due_soon_window: Callable[[], dt.timedelta],
        **kwargs: Any,
    ) -> None:
        """`handlers`: who may be chosen; `due_soon_window()`: how far "due soon" looks (asked only when used)."""
        super().__init__(data, *args, **kwargs)
        self.tenant = tenant
        self.now = now
        handler = self.filters["handler"]
        handler.field_class = HandlerChoiceField
        handler.queryset = handlers
        self.due_soon_window = due_soon_window

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
        return (
            queryset.filter(status__in=Feedback.OPEN_STATUSES)
            if value == OPEN_STATUS
            else queryset.filter(status=value)
        )

    def filter_overdue(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        overdue = Q(status__in=Feedback.OPEN_STATUSES, due_at__lte=self.now)
        if value == YES:
            return queryset.filter(overdue)
        if value == NO:
            return queryset.exclude(overdue)
        return queryset

    def filter_due_soon(self, queryset: models.QuerySet, name: str, value: str) -> models.QuerySet:
        if value != YES:
            return queryset
        within = self.due_soon_window()
        return queryset.filter(status__in=Feedback.OPEN_STATUSES, due_at__gt=self.now, due_at__lte=self.now + within)

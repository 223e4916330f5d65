"""Forms of the feedback pages. Choices come from the current tenant; the services do the checking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import ComplaintPolicy, Customer, Feedback
from customers.selectors.feedback import customer_choices, handler_choices
from customers.validators import normalise_code, validate_mobile
from yuqing.tenancy.models import Membership, Tenant

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        department = f" · {obj.department.name}" if obj.department_id and obj.department else ""
        return f"{obj.user}（{obj.get_role_display()}{department}）"


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class FeedbackCreateForm(forms.Form):
    customer = CustomerChoiceField(
        label=_("客户"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=_("未知客户 / 非本机构客户"),
        error_messages={"invalid_choice": _("请选择本机构的客户。")},
    )
    reporter_name = forms.CharField(
        label=_("反映人"), max_length=100, required=False, help_text=_("未选择客户时必填；客户本人来电也可填写联系人。")
    )
    reporter_mobile = forms.CharField(
        label=_("反映人手机号"), max_length=20, required=False, help_text=_("加密保存，页面仅显示掩码。")
    )
    kind = forms.ChoiceField(label=_("类型"), choices=Feedback.Kind.choices, initial=Feedback.Kind.COMPLAINT)
    channel = forms.ChoiceField(label=_("渠道"), choices=Feedback.Channel.choices)
    category = forms.ChoiceField(label=_("类别"), choices=Feedback.Category.choices, initial=Feedback.Category.OTHER)
    subject = forms.CharField(label=_("主题"), max_length=200, error_messages={"required": _("请填写主题。")})
    content = forms.CharField(
        label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}), error_messages={"required": _("请填写反馈内容。")}
    )
    received_at = forms.DateTimeField(
        label=_("接收时间"),
        widget=DATETIME_WIDGET,
        help_text=_("处理时限自接收次日起算。"),
        error_messages={"required": _("请填写接收时间。"), "invalid": _("请填写有效的日期和时间。")},
    )
    handler = HandlerChoiceField(
        label=_("处理人"), queryset=Membership.objects.none(), required=False, empty_label=_("暂不指派")
    )
    policy = forms.ModelChoiceField(
        label=_("处理策略"),
        queryset=ComplaintPolicy.objects.none(),
        required=False,
        empty_label=_("本机构默认策略"),
    )

    def __init__(self, *args: Any, tenant: Tenant, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["handler"].queryset = handler_choices(tenant=tenant).select_related("department")
        self.fields["policy"].queryset = ComplaintPolicy.objects.for_tenant(tenant).order_by("-is_default", "name")
        if customer is not None:
            # Opened from the customer's page: the item is for that customer only.
            self.fields["customer"].queryset = customer_choices(tenant=tenant).filter(pk=customer.pk)
            self.fields["customer"].initial = customer.pk
            self.fields["customer"].empty_label = None
            self.fields["customer"].required = True
        else:
            self.fields["customer"].queryset = customer_choices(tenant=tenant)

    def clean_reporter_mobile(self) -> str:
        value = normalise_code(self.cleaned_data.get("reporter_mobile") or "")
        if value:
            validate_mobile(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("customer") and not (data.get("reporter_name") or "").strip() and "customer" not in self.errors:
            self.add_error("reporter_name", _("未选择客户时，请填写反映人姓名。"))
        return data


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("处理结果"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("作出的处理决定，以及告知客户的方式和时间。"),
        error_messages={"required": _("请填写处理结果：作出的处理决定及告知客户的情况。")},
    )


class CloseForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("客户满意度"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("未评价")),
            (5, _("5 · 非常满意")),
            (4, _("4 · 满意")),
            (3, _("3 · 一般")),
            (2, _("2 · 不满意")),
            (1, _("1 · 非常不满意")),
        ],
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写延期理由。")},
    )
    customer_notified_at = forms.DateTimeField(
        label=_("告知客户时间"),
        widget=DATETIME_WIDGET,
        help_text=_("须在当前处理期限届满前告知客户延期及理由。"),
        error_messages={"required": _("请填写告知客户延期的时间。")},
    )


class AssignForm(forms.Form):
    handler = HandlerChoiceField(
        label=_("处理人"), queryset=Membership.objects.none(), required=False, empty_label=_("取消指派")
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_choices(tenant=tenant).select_related("department")

"""Forms of the customer and feedback pages. They parse what was typed; choices come from the current
tenant, and the rules live in the services (CustomerValidator, the feedback services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import ComplaintPolicy, Customer, Feedback, Tier
from customers.selectors.customers import customer_find, membership_choices, product_choices
from customers.selectors.feedback import customer_choices, handler_choices
from customers.services.validation import CustomerData, split_names
from customers.validators import normalise_code, validate_mobile
from yuqing.tenancy.models import Membership, Tenant

ENTERPRISE_ONLY = ("credit_code", "industry", "listed_codes", "group_role")
INDIVIDUAL_ONLY = ("id_number",)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user)


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("客户类型"), choices=Customer.Kind.choices, widget=forms.RadioSelect, initial=Customer.Kind.ENTERPRISE
    )
    name = forms.CharField(label=_("名称"), max_length=200)
    short_name = forms.CharField(label=_("简称"), max_length=100, required=False)
    aliases = forms.CharField(
        label=_("别名"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("舆情监测会按名称、简称和别名匹配。多个别名以分号（；）分隔或每行一个。"),
    )
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40, required=False)
    id_number = forms.CharField(
        label=_("居民身份证号"), max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    industry = forms.CharField(label=_("行业"), max_length=100, required=False)
    region = forms.CharField(label=_("地区"), max_length=100, required=False)
    listed_codes = forms.CharField(
        label=_("上市代码"), max_length=100, required=False, help_text=_("多个以逗号分隔，如 600000.SH")
    )
    relationship_manager = MemberChoiceField(
        label=_("客户经理"), queryset=None, required=False, empty_label=_("（未指定）")
    )
    credit_limit = forms.DecimalField(
        label=_("授信额度（元）"), max_digits=18, decimal_places=2, initial=Decimal("0"), required=False
    )
    loan_balance = forms.DecimalField(
        label=_("贷款余额（元）"), max_digits=18, decimal_places=2, initial=Decimal("0"), required=False
    )
    products = forms.ModelMultipleChoiceField(
        label=_("产品"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("标签"), max_length=500, required=False, help_text=_("多个标签以逗号或顿号分隔；新标签会自动创建。")
    )
    parent = forms.CharField(
        label=_("上级客户"),
        max_length=200,
        required=False,
        help_text=_("填写上级客户的名称或统一社会信用代码（集团 → 子公司 → 项目公司）。"),
    )
    group_role = forms.ChoiceField(
        label=_("集团角色"), choices=Customer.GroupRole.choices, initial=Customer.GroupRole.STANDALONE
    )
    is_strategic = forms.BooleanField(label=_("战略客户"), required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, tenant: Tenant, customer: Customer | None = None, **kwargs: Any) -> None:
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(customer)
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.customer = customer
        self.fields["relationship_manager"].queryset = membership_choices(tenant=tenant)
        self.fields["products"].queryset = product_choices(tenant=tenant)
        for name in ENTERPRISE_ONLY:
            self.fields[name].widget.attrs["data-kind"] = Customer.Kind.ENTERPRISE
        for name in INDIVIDUAL_ONLY:
            self.fields[name].widget.attrs["data-kind"] = Customer.Kind.INDIVIDUAL
        if customer is not None:
            # The clear values are never sent to the browser: the field stays empty, blank keeps them.
            for name in ("id_number", "mobile"):
                masked = getattr(customer, f"{name}_masked")
                if masked:
                    self.fields[name].help_text = _("已登记：%(masked)s。留空则保持不变。") % {"masked": masked}
                    self.fields[name].widget.attrs["placeholder"] = masked

    @staticmethod
    def initial_from(customer: Customer) -> dict[str, Any]:
        data = CustomerData.from_customer(customer)
        return {
            "kind": data.kind,
            "name": data.name,
            "short_name": data.short_name,
            "aliases": "；".join(data.aliases),
            "credit_code": data.credit_code,
            "industry": data.industry,
            "region": data.region,
            "listed_codes": data.listed_codes,
            "relationship_manager": customer.relationship_manager_id,
            "credit_limit": data.credit_limit,
            "loan_balance": data.loan_balance,
            "products": [p.pk for p in data.products],
            "tags": "，".join(data.tag_names),
            "parent": (data.parent.credit_code or data.parent.name) if data.parent else "",
            "group_role": data.group_role,
            "is_strategic": data.is_strategic,
            "notes": data.notes,
        }

    def clean_parent(self) -> Customer | None:
        reference = self.cleaned_data.get("parent", "")
        if not reference:
            return None
        found = customer_find(tenant=self.tenant, reference=reference)
        if found is None:
            raise ValidationError(
                _("找不到客户「%(ref)s」，请填写已登记客户的名称或统一社会信用代码。"), params={"ref": reference}
            )
        return found

    def to_data(self) -> CustomerData:
        data = self.cleaned_data
        editing = self.customer is not None
        return CustomerData(
            kind=data["kind"],
            name=data["name"],
            short_name=data["short_name"],
            aliases=split_names(data["aliases"], aliases=True),
            credit_code=data["credit_code"],
            # On an edit a blank ID or mobile field keeps the stored value.
            id_number=(data["id_number"] or None) if editing else data["id_number"],
            mobile=(data["mobile"] or None) if editing else data["mobile"],
            industry=data["industry"],
            region=data["region"],
            listed_codes=data["listed_codes"],
            relationship_manager=data["relationship_manager"],
            credit_limit=data["credit_limit"] if data["credit_limit"] is not None else Decimal("0"),
            loan_balance=data["loan_balance"] if data["loan_balance"] is not None else Decimal("0"),
            products=list(data["products"]),
            tag_names=split_names(data["tags"]),
            parent=data["parent"],
            group_role=data["group_role"],
            is_strategic=data["is_strategic"],
            notes=data["notes"],
        )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)


class GuaranteeForm(forms.Form):
    guarantor = forms.CharField(label=_("担保人"), max_length=200, help_text=_("已登记客户的名称或统一社会信用代码。"))
    amount = forms.DecimalField(
        label=_("担保金额（元）"), max_digits=18, decimal_places=2, required=False, min_value=Decimal("0")
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_guarantor(self) -> Customer:
        reference = self.cleaned_data["guarantor"]
        found = customer_find(tenant=self.tenant, reference=reference)
        if found is None:
            raise ValidationError(_("找不到客户「%(ref)s」。"), params={"ref": reference})
        return found


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("调整为"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写人工调整的原因。")},
    )
    expires_at = forms.DateTimeField(
        label=_("到期时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("留空表示长期有效；到期后按规则重新分层。"),
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV 文件"), help_text=_("UTF-8（可带 BOM）或 GBK 编码，首行为表头，最大 5 MB。"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件过大（最大 5 MB），请拆分后分批导入。"))
        return upload.read()


# ---------------------------------------------------------------- feedback

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

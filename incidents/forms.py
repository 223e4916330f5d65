"""Forms of the incident pages. Every choice comes from the current tenant; the services check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from incidents.models import (
    PHASE_ORDER,
    ImprovementAction,
    Incident,
    IncidentNature,
    IncidentTask,
    MediaLevel,
    Phase,
    Severity,
    TimelineEntry,
)
from incidents.selectors.choices import customer_choices, department_choices, member_choices, nature_choices
from yuqing.tenancy.models import Department, Membership, Tenant

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_ERRORS = {"invalid": _("请填写有效的日期和时间。")}


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        department = f" · {obj.department.name}" if obj.department_id and obj.department else ""
        return f"{obj.user}{department}"


class CustomersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Customer) -> str:
        return f"{obj.name}（VIP）" if obj.tier == "vip" else obj.name


def invalid_choice_messages(what: str) -> dict[str, Any]:
    return {
        "invalid_choice": _("请选择本机构的%(what)s。") % {"what": what},
        "invalid_pk_value": _("请选择本机构的%(what)s。") % {"what": what},
    }


class IncidentCreateForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200, error_messages={"required": _("请填写事件标题。")})
    severity = forms.TypedChoiceField(
        label=_("级别"),
        choices=Severity.choices,
        coerce=int,
        initial=Severity.IV,
        error_messages={"required": _("请选择事件级别。")},
    )
    nature = forms.ModelChoiceField(
        label=_("性质"),
        queryset=IncidentNature.objects.none(),
        required=False,
        empty_label=_("待研判"),
        error_messages=invalid_choice_messages(_("事件性质")),
    )
    summary = forms.CharField(label=_("概要"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    opened_at = forms.DateTimeField(
        label=_("发现时间"),
        widget=DATETIME_WIDGET,
        required=False,
        error_messages=DATETIME_ERRORS,
        help_text=_("留空为当前时间。时限自发现时间起算。"),
    )
    owner = MemberChoiceField(
        label=_("负责人"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("由我负责"),
        error_messages=invalid_choice_messages(_("成员")),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("参与部门"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages=invalid_choice_messages(_("部门")),
    )
    customers = CustomersChoiceField(
        label=_("涉及客户"),
        queryset=Customer.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8, "data-filterable": _("输入客户名称筛选")}),
        error_messages=invalid_choice_messages(_("客户")),
        help_text=_("VIP 客户适用更短的处置时限。按住 Ctrl 多选。"),
    )
    estimated_reach = forms.IntegerField(
        label=_("预估传播量"),
        min_value=0,
        required=False,
        error_messages={"invalid": _("请填写整数。"), "min_value": _("传播量不能为负数。")},
    )
    media_level = forms.ChoiceField(label=_("媒体层级"), choices=[("", "—"), *MediaLevel.choices], required=False)
    regions = forms.CharField(label=_("涉及地区"), max_length=200, required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["nature"].queryset = nature_choices(tenant=tenant)
        self.fields["owner"].queryset = member_choices(tenant=tenant)
        self.fields["departments"].queryset = department_choices(tenant=tenant)
        self.fields["customers"].queryset = customer_choices(tenant=tenant)


class IncidentFromFeedbackForm(forms.Form):
    title = forms.CharField(label=_("事件标题"), max_length=200, error_messages={"required": _("请填写事件标题。")})
    severity = forms.TypedChoiceField(
        label=_("级别"),
        choices=Severity.choices,
        coerce=int,
        initial=Severity.III,
        error_messages={"required": _("请选择事件级别。")},
    )


# The fields each phase collects; moving on from a phase needs the ones the service requires.
PHASE_FIELDS: dict[str, list[str]] = {
    Phase.RESPONSE: ["owner", "facts_who", "facts_what", "facts_when", "background", "legal_questions"],
    Phase.ANALYSIS: ["nature", "estimated_reach", "media_level", "regions", "analysis"],
    Phase.PLANNING: ["plan", "responsibilities"],
    Phase.IMPLEMENTATION: ["actions_taken", "communications", "customer_feedback_summary"],
}
TEXTAREA_FIELDS = {
    "facts_who",
    "facts_what",
    "background",
    "legal_questions",
    "analysis",
    "plan",
    "responsibilities",
    "actions_taken",
    "communications",
    "customer_feedback_summary",
}


class PhaseFieldsForm(forms.ModelForm):
    """The fields of one phase, those the next move needs marked required (with a Chinese message)."""

    class Meta:
        model = Incident
        fields = sorted({name for names in PHASE_FIELDS.values() for name in names})
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in TEXTAREA_FIELDS}
        field_classes = {"owner": MemberChoiceField}

    def __init__(self, *args: Any, tenant: Tenant, phase: str, required: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in [name for name in self.fields if name not in PHASE_FIELDS.get(phase, [])]:
            del self.fields[name]
        if "owner" in self.fields:
            self.fields["owner"].queryset = member_choices(tenant=tenant)
            self.fields["owner"].error_messages.update(invalid_choice_messages(_("成员")))
        if "nature" in self.fields:
            self.fields["nature"].queryset = nature_choices(tenant=tenant)
            self.fields["nature"].error_messages.update(invalid_choice_messages(_("事件性质")))
        for name, field in self.fields.items():
            if name in required:
                field.required = True
                field.error_messages["required"] = _("进入下一阶段前请填写“%(label)s”。") % {"label": field.label}
        if "estimated_reach" in self.fields:
            self.fields["estimated_reach"].error_messages["invalid"] = _("请填写整数。")

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}


class IncidentEditForm(forms.ModelForm):
    """Basic facts any time: title, severity, owner, who is involved, scope."""

    class Meta:
        model = Incident
        fields = [
            "title",
            "severity",
            "summary",
            "owner",
            "departments",
            "customers",
            "estimated_reach",
            "media_level",
            "regions",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "departments": forms.SelectMultiple(attrs={"size": 6}),
            "customers": forms.SelectMultiple(attrs={"size": 8, "data-filterable": _("输入客户名称筛选")}),
        }
        field_classes = {"owner": MemberChoiceField, "customers": CustomersChoiceField}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(tenant=tenant)
        self.fields["departments"].queryset = department_choices(tenant=tenant)
        self.fields["customers"].queryset = customer_choices(tenant=tenant)
        self.fields["title"].error_messages["required"] = _("请填写事件标题。")
        for name, what in (("owner", _("成员")), ("departments", _("部门")), ("customers", _("客户"))):
            self.fields[name].error_messages.update(invalid_choice_messages(what))

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class MoveBackForm(forms.Form):
    prefix = "back"  # the detail page holds several forms: ids and names stay apart

    to_phase = forms.ChoiceField(label=_("退回到"), choices=(), error_messages={"required": _("请选择要退回的阶段。")})
    reason = forms.CharField(
        label=_("退回原因"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": _("退回上一阶段必须填写原因。")},
    )

    def __init__(self, *args: Any, phase: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earlier = PHASE_ORDER[: PHASE_ORDER.index(Phase(phase))] if phase in Phase.values else []
        self.fields["to_phase"].choices = [(p.value, p.label) for p in reversed(earlier)]
        self.fields["to_phase"].error_messages["invalid_choice"] = _("只能退回到更早的阶段。")


class PauseForm(forms.Form):
    prefix = "pause"  # the detail page holds several forms: ids and names stay apart

    reason = forms.CharField(
        label=_("暂停原因"),
        max_length=200,
        error_messages={"required": _("暂停计时必须填写原因。")},
        help_text=_("如：等待客户补充材料、等待监管回复。暂停期间不计入时限。"),
    )


NOTE_KINDS = [
    (TimelineEntry.Kind.NOTE.value, TimelineEntry.Kind.NOTE.label),
    (TimelineEntry.Kind.COMMUNICATION_IN.value, TimelineEntry.Kind.COMMUNICATION_IN.label),
    (TimelineEntry.Kind.COMMUNICATION_OUT.value, TimelineEntry.Kind.COMMUNICATION_OUT.label),
]


class NoteForm(forms.Form):
    prefix = "note"  # the detail page holds several forms: ids and names stay apart

    kind = forms.ChoiceField(label=_("类型"), choices=NOTE_KINDS, initial=TimelineEntry.Kind.NOTE)
    body = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("请填写内容。")},
    )


class TaskForm(forms.Form):
    prefix = "task"  # the detail page holds several forms: ids and names stay apart

    title = forms.CharField(label=_("任务"), max_length=200, error_messages={"required": _("请填写任务内容。")})
    department = forms.ModelChoiceField(
        label=_("承办部门"),
        queryset=Department.objects.none(),
        error_messages={"required": _("请选择承办部门。"), **invalid_choice_messages(_("部门"))},
    )
    assignee = MemberChoiceField(
        label=_("承办人"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("部门内认领"),
        error_messages=invalid_choice_messages(_("成员")),
    )
    due_at = forms.DateTimeField(
        label=_("截止时间"), widget=DATETIME_WIDGET, required=False, error_messages=DATETIME_ERRORS
    )
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_choices(tenant=tenant)
        self.fields["assignee"].queryset = member_choices(tenant=tenant)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        department, assignee = data.get("department"), data.get("assignee")
        if department and assignee and assignee.department_id not in (None, department.pk):
            self.add_error("assignee", _("承办人不在所选部门。"))
        return data


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=IncidentTask.Status.choices)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("评论"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("输入 @用户名 提及同事，对方会收到站内通知。"),
        error_messages={"required": _("请填写评论内容。")},
    )


class EvidenceForm(forms.Form):
    prefix = "evidence"  # the detail page holds several forms: ids and names stay apart

    title = forms.CharField(label=_("标题"), max_length=200, error_messages={"required": _("请填写证据标题。")})
    file = forms.FileField(
        label=_("文件"), required=False, help_text=_("截图、PDF、Word、Excel、文本，单个不超过 20 MB。")
    )
    url = forms.URLField(
        label=_("链接"),
        max_length=1000,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("请填写有效的网址。")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("file") and not data.get("url") and not self.errors.get("url"):
            raise forms.ValidationError(_("请上传文件或填写链接。"), code="empty")
        return data


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(
        label=_("类型"), choices=TimelineEntry.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


# The post-incident review (复盘): its texts and a formset of improvement actions.


class ReviewForm(forms.Form):
    root_cause = forms.CharField(
        label=_("根本原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写根本原因。")},
    )
    what_worked = forms.CharField(label=_("有效做法"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    what_did_not = forms.CharField(label=_("不足之处"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ImprovementActionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), choices=ImprovementAction.Kind.choices, initial=ImprovementAction.Kind.ACTION
    )
    title = forms.CharField(label=_("措施"), max_length=200, required=False)
    owner = MemberChoiceField(
        label=_("负责人"),
        queryset=Membership.objects.none(),
        required=False,
        error_messages=invalid_choice_messages(_("成员")),
    )
    due_date = forms.DateField(
        label=_("完成期限"), widget=DATE_WIDGET, required=False, error_messages={"invalid": _("请填写有效的日期。")}
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices(tenant=tenant)

    def has_changed(self) -> bool:
        # The kind select always has a value; a row counts as filled when anything else is.
        return any(self.data.get(self.add_prefix(name)) for name in ("title", "owner", "due_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_changed():
            for name, message in (
                ("title", _("请填写改进措施。")),
                ("owner", _("请选择负责人。")),
                ("due_date", _("请填写完成期限。")),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return data


class BaseActionFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "tenant": self.tenant}

    @property
    def empty_form(self) -> forms.Form:
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), tenant=self.tenant)
        self.add_fields(form, None)
        return form

    def actions(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.forms if form.has_changed() and form.cleaned_data]


ImprovementActionFormSet = forms.formset_factory(ImprovementActionForm, formset=BaseActionFormSet, extra=3, max_num=20)

"""Forms of the training pages: emergency plans and their steps; courses, sessions and plan lines."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity
from training.models import (
    TARGET_MINUTES_MAX,
    Course,
    EmergencyPlan,
    PlanStep,
    PlanVersion,
    Scenario,
    Topic,
    validate_clean_text,
)
from training.models.plans import TEXT_MAX, TITLE_MAX
from yuqing.tenancy.models import Department, Membership, Role, Tenant


class PlanForm(forms.Form):
    scenario = forms.ChoiceField(label=_("场景"), choices=Scenario.choices)
    severity = forms.TypedChoiceField(label=_("级别"), choices=Severity.choices, coerce=int)
    title = forms.CharField(label=_("预案名称"), max_length=TITLE_MAX, validators=[validate_clean_text])


class DraftForm(forms.Form):
    change_note = forms.CharField(
        label=_("修订说明"),
        required=False,
        max_length=TEXT_MAX,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StepForm(forms.Form):
    title = forms.CharField(label=_("步骤"), max_length=TITLE_MAX, validators=[validate_clean_text])
    department_kind = forms.ChoiceField(label=_("责任部门类别"), choices=Department.Kind.choices)
    target_minutes = forms.IntegerField(label=_("目标时限（分钟）"), min_value=1, max_value=TARGET_MINUTES_MAX)
    description = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=TEXT_MAX,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        if not kept:
            raise forms.ValidationError(_("请至少保留一个处置步骤。"))


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=2, can_delete=True, max_num=50, validate_max=True, absolute_max=60
)


def step_initial(version: PlanVersion) -> list[dict]:
    return [
        {
            "title": step.title,
            "department_kind": step.department_kind,
            "target_minutes": step.target_minutes,
            "description": step.description,
        }
        for step in version.steps.all()
    ]


def steps_of(formset: forms.BaseFormSet) -> list[dict]:
    return [
        form.cleaned_data
        for form in formset.forms
        if form.has_changed() and form.cleaned_data and not formset._should_delete_form(form)
    ]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"),
        max_length=TEXT_MAX,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DiffForm(forms.Form):
    old = forms.TypedChoiceField(label=_("旧版本"), coerce=int)
    new = forms.TypedChoiceField(label=_("新版本"), coerce=int)

    def __init__(self, *args, versions: list[PlanVersion], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [(v.number, f"V{v.number} · {v.get_status_display()}") for v in versions]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices


__all__ = ["DiffForm", "DraftForm", "EmergencyPlan", "PlanForm", "PlanStep", "RejectForm", "StepFormSet"]


class CourseForm(forms.Form):
    title = forms.CharField(label=_("课程名称"), max_length=200)
    topic = forms.ChoiceField(label=_("主题"), choices=Topic.choices)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_required = forms.BooleanField(label=_("必修"), required=False)
    validity_months = forms.IntegerField(label=_("证书有效期（月）"), min_value=0, max_value=120, initial=12)
    pass_mark = forms.IntegerField(label=_("及格分"), min_value=0, max_value=100, initial=60)
    departments = forms.ModelMultipleChoiceField(
        label=_("面向部门"), queryset=Department.objects.none(), required=False
    )
    roles = forms.MultipleChoiceField(label=_("面向角色"), choices=Role.choices, required=False)

    def __init__(self, *args: object, tenant: Tenant, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.for_tenant(tenant).filter(is_active=True)


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    trainer = forms.ModelChoiceField(label=_("讲师"), queryset=Membership.objects.none(), required=False)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    online_url = forms.CharField(label=_("线上链接"), max_length=500, required=False)
    materials = forms.FileField(label=_("培训材料"), required=False)

    def __init__(self, *args: object, tenant: Tenant, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = (
            Membership.objects.for_tenant(tenant).filter(is_active=True).select_related("user")
        )
        self.fields["trainer"].label_from_instance = lambda m: m.user.display_name or m.user.username


class PlanItemForm(forms.Form):
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none())
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("计划季度"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int)

    def __init__(self, *args: object, tenant: Tenant, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.for_tenant(tenant).filter(is_active=True)
        self.fields["course"].queryset = Course.objects.for_tenant(tenant).filter(is_active=True)

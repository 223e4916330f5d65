"""Forms of the training app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity
from training.models import TARGET_MINUTES_MAX, EmergencyPlan, PlanStep, PlanVersion, Scenario, validate_clean_text
from training.models.plans import TEXT_MAX, TITLE_MAX
from yuqing.tenancy.models import Department


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

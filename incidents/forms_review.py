"""Forms of the post-incident review (复盘): the texts and a formset of improvement actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms import DATE_WIDGET, MemberChoiceField, invalid_choice_messages
from incidents.models import ImprovementAction
from incidents.selectors_portal import member_choices
from yuqing.tenancy.models import Membership, Tenant


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

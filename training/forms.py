"""Forms of the training pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from training.models import Course, Topic
from yuqing.tenancy.models import Department, Membership, Role, Tenant


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

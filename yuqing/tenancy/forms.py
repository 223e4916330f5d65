"""Form bases that keep every choice inside the current tenant."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yuqing.tenancy.managers import TenantManager
from yuqing.tenancy.models import Department, Membership, Role, Tenant, User


def scope_choice_fields(form: forms.BaseForm, tenant: Tenant) -> None:
    """Re-point every model-choice field over tenant-owned rows at `tenant`'s rows."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            model = field.queryset.model
            if isinstance(model._default_manager, TenantManager):
                field.queryset = field.queryset.model.objects.for_tenant(tenant)


class TenantModelForm(forms.ModelForm):
    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        scope_choice_fields(self, tenant)


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("新用户必填；已有用户留空。"),
    )
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none(), required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, initial=Role.HANDLER)
    title = forms.CharField(label=_("职务"), max_length=100, required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["department"].queryset = Department.objects.for_tenant(tenant)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        username = data.get("username")
        if username and not User.objects.filter(username=username).exists() and not data.get("password"):
            self.add_error("password", _("新用户需要设置初始密码。"))
        return data


class MembershipEditForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["department", "role", "is_active"]

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_choice_fields(self, tenant)


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类别"), choices=Department.Kind.choices, initial=Department.Kind.OTHER)

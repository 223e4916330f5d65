"""Admin of customers, products, tags, tier rules, service strategies and tier history, tenant-scoped.

Personal data appears masked only, and no encrypted or digest field is on any page. Saving a
customer or a tier rule goes through the same services as the portal (validation, audit event,
tier recompute); the tier itself is read-only here (the portal's override form asks for a reason).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerAlias, Product, ServiceStrategy, Tag, TierChange, TierRule
from customers.services import tiering
from customers.services.customers import customer_create, customer_update
from customers.services.validation import CustomerData, CustomerValidator, split_names
from yuqing.tenancy.access import client_ip
from yuqing.tenancy.admin import TenantScopedAdmin
from yuqing.tenancy.models import Tenant

# Validator field → admin form field, where the names differ.
ADMIN_FIELD = {"id_number": "new_id_number", "mobile": "new_mobile", "aliases": "aliases_text", "tags": "tag_names"}


class CustomerAdminForm(forms.ModelForm):
    new_id_number = forms.CharField(
        label=_("居民身份证号"), required=False, max_length=40, help_text=_("仅个人客户填写；编辑时留空则保持不变。")
    )
    new_mobile = forms.CharField(
        label=_("手机号"), required=False, max_length=20, help_text=_("编辑时留空则保持不变。")
    )
    aliases_text = forms.CharField(
        label=_("别名"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("多个别名以分号（；）分隔或每行一个。"),
    )
    tag_names = forms.CharField(label=_("标签"), required=False, help_text=_("以逗号分隔；新标签会自动创建。"))

    admin_tenant: Tenant | None = None  # set by CustomerAdmin.get_form for tenant admins

    class Meta:
        model = Customer
        fields = [
            "tenant",
            "kind",
            "name",
            "short_name",
            "credit_code",
            "industry",
            "region",
            "listed_codes",
            "relationship_manager",
            "credit_limit",
            "loan_balance",
            "products",
            "parent",
            "group_role",
            "is_strategic",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            tenant = self.instance.tenant
            self.fields["aliases_text"].initial = "；".join(
                CustomerAlias.objects.for_tenant(tenant).filter(customer=self.instance).values_list("alias", flat=True)
            )
            self.fields["tag_names"].initial = "，".join(
                Tag.objects.for_tenant(tenant).filter(customers=self.instance).values_list("name", flat=True)
            )
            for name in ("id_number", "mobile"):
                masked = getattr(self.instance, f"{name}_masked")
                if masked:
                    self.fields[f"new_{name}"].help_text = _("已登记：%(masked)s。留空则保持不变。") % {
                        "masked": masked
                    }

    def _tenant(self) -> Tenant | None:
        if self.instance.pk:
            return self.instance.tenant
        return self.admin_tenant or self.cleaned_data.get("tenant")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tenant = self._tenant()
        if tenant is None or self.errors:
            return data
        editing = self.instance.pk is not None
        self.customer_data = CustomerData(
            kind=data.get("kind", ""),
            name=data.get("name", ""),
            short_name=data.get("short_name", ""),
            aliases=split_names(data.get("aliases_text", ""), aliases=True),
            credit_code=data.get("credit_code", ""),
            id_number=(data.get("new_id_number") or None) if editing else data.get("new_id_number", ""),
            mobile=(data.get("new_mobile") or None) if editing else data.get("new_mobile", ""),
            industry=data.get("industry", ""),
            region=data.get("region", ""),
            listed_codes=data.get("listed_codes", ""),
            relationship_manager=data.get("relationship_manager"),
            credit_limit=data.get("credit_limit"),
            loan_balance=data.get("loan_balance"),
            products=list(data.get("products") or []),
            tag_names=split_names(data.get("tag_names", "")),
            parent=data.get("parent"),
            group_role=data.get("group_role", ""),
            is_strategic=data.get("is_strategic", False),
            notes=data.get("notes", ""),
        )
        try:
            CustomerValidator(tenant).clean(self.customer_data, customer=self.instance if editing else None)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                name = ADMIN_FIELD.get(name, name)
                self.add_error(name if name in self.fields else None, messages)
        return data

    def _post_clean(self) -> None:
        # The model's own validators need the tenant the admin sets only on save; CustomerValidator ran.
        pass


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    form = CustomerAdminForm
    list_display = [
        "name",
        "kind",
        "credit_code",
        "id_number_masked",
        "mobile_masked",
        "tier",
        "tier_source",
        "relationship_manager",
        "region",
    ]
    list_filter = ["tier", "kind", "tier_source", "group_role", "is_strategic"]
    search_fields = ["name", "short_name", "credit_code"]
    list_select_related = ["relationship_manager__user"]
    raw_id_fields = ["parent"]
    readonly_fields = [
        "id_number_masked",
        "mobile_masked",
        "tier",
        "tier_source",
        "manual_tier",
        "manual_tier_reason",
        "manual_tier_expires_at",
        "created_at",
        "updated_at",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_tenant = self._scope_tenant(request)
        return form

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        tenant = obj.tenant if change else form._tenant()
        if change:
            saved = customer_update(
                tenant=tenant, actor=request.user, customer=obj, data=form.customer_data, ip_address=client_ip(request)
            )
        else:
            saved = customer_create(
                tenant=tenant, actor=request.user, data=form.customer_data, ip_address=client_ip(request)
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Products, tags and aliases were set by the service; only inline formsets (none yet) remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class TierRuleAdminForm(forms.ModelForm):
    admin_tenant: Tenant | None = None

    class Meta:
        model = TierRule
        fields = ["tenant", "name", "kind", "threshold", "product", "is_active"]

    def _post_clean(self) -> None:
        super()._post_clean()
        tenant = self.admin_tenant or self.cleaned_data.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None or self.errors:
            return
        try:
            tiering.tier_rule_clean(tenant, self.instance)
        except ValidationError as error:
            self._update_errors(error)

    def validate_unique(self) -> None:
        pass  # tier_rule_clean checks the name within the tenant the admin works in


@admin.register(TierRule)
class TierRuleAdmin(TenantScopedAdmin):
    form = TierRuleAdminForm
    list_display = ["name", "kind", "threshold", "product", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_tenant = self._scope_tenant(request)
        return form

    def save_model(self, request: HttpRequest, obj: TierRule, form: Any, change: bool) -> None:
        tenant = self._scope_tenant(request) or obj.tenant
        tiering.tier_rule_save(tenant=tenant, actor=request.user, rule=obj, ip_address=client_ip(request))

    def delete_model(self, request: HttpRequest, obj: TierRule) -> None:
        tiering.tier_rule_delete(tenant=obj.tenant, actor=request.user, rule=obj, ip_address=client_ip(request))


class NameUniqueInTenantForm(forms.ModelForm):
    """Names are unique per tenant; the tenant is set only on save, so the form checks it here."""

    admin_tenant: Tenant | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name = (data.get("name") or "").strip()
        tenant = self.instance.tenant if self.instance.pk else (self.admin_tenant or data.get("tenant"))
        others = self._meta.model.objects.for_tenant(tenant).exclude(pk=self.instance.pk) if tenant else None
        if name and others is not None and others.filter(name=name).exists():
            self.add_error("name", _("本机构已有同名记录。"))
        return data


class NamedListAdmin(TenantScopedAdmin):
    form = NameUniqueInTenantForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_tenant = self._scope_tenant(request)
        return form


@admin.register(Product)
class ProductAdmin(NamedListAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(NamedListAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(ServiceStrategy)
class ServiceStrategyAdmin(TenantScopedAdmin):
    """One row per tier, created with the defaults on demand: edited here, never added or removed."""

    list_display = ["tier", "requires_relationship_manager", "sla_factor", "risk_weight", "description"]
    readonly_fields = ["tier"]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        tenant = self._scope_tenant(request)
        if tenant is not None:
            tiering.service_strategies_ensure(tenant=tenant)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TierChange)
class TierChangeAdmin(TenantScopedAdmin):
    """The tier history is never edited: view only."""

    list_display = ["customer", "from_tier", "to_tier", "source", "rule", "actor", "reason", "created_at"]
    list_filter = ["to_tier", "source"]
    search_fields = ["customer__name", "reason"]
    list_select_related = ["customer", "rule", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

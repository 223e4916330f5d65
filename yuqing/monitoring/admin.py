"""Admin of monitoring configuration, tenant-scoped: sources, keyword rules, the tenant's own dictionary,
the warning policy, warning routes and (read-mostly) ingestion tokens.

Sources, rules, the policy and routes are saved through the same services as the portal's settings
pages (checks, audit); the forms show those services' rules beside the fields: a feed URL only on a
feed source, 蓝 < 黄 < 橙 < 红 thresholds, one word per rule. Tokens are created and rotated in the
portal, which shows the clear value once; here they can be looked up and revoked. Mentions, stories
and warnings are worked in the portal, where triage and the warnings services keep their history;
they are not edited here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yuqing.monitoring.forms import ROUTE_FIELDS, https_urls
from yuqing.monitoring.models import DictionaryWord, IngestToken, KeywordRule, Source, WarningPolicy, WarningRoute
from yuqing.monitoring.services import sources
from yuqing.monitoring.services.tokens import ingest_token_revoke
from yuqing.monitoring.services.warnings.routing import warning_route_create, warning_route_update
from yuqing.tenancy.admin import TenantScopedAdmin


class ServiceSavedAdmin(TenantScopedAdmin):
    """An admin whose saves go through the monitoring services: `save_through_service` writes, and the
    admin's object then stands for the saved row (its id, for the change message and the redirect)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        tenant = self._scope_tenant(request) or obj.tenant
        saved = self.save_through_service(request, obj, form, change, tenant=tenant)
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_through_service(self, request: HttpRequest, obj: Any, form: Any, change: bool, *, tenant: Any) -> Any:
        raise NotImplementedError


def _form_data(form: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields the admin's form has (all of them, or the list-editable few)."""
    return {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}


class SourceAdminForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields (and hides the tenant from tenant admins)
        formfield_callback = https_urls

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problems = sources.source_setting_problems(
            kind=data.get("kind"), feed_url=data.get("feed_url") or "", poll_minutes=data.get("poll_minutes")
        )
        for field, message in problems:
            self.add_error(field, message)
        return data


@admin.register(Source)
class SourceAdmin(ServiceSavedAdmin):
    form = SourceAdminForm
    list_display = ["name", "kind", "weight", "owner", "is_paused", "last_poll_status", "last_polled_at"]
    list_filter = ["kind", "is_paused", "last_poll_status"]
    search_fields = ["name", "feed_url"]
    fields = [
        "tenant",
        "name",
        "kind",
        "weight",
        "owner",
        "is_paused",
        "to_simplified",
        "feed_url",
        "poll_minutes",
        "last_polled_at",
        "last_poll_status",
        "last_poll_error",
    ]
    readonly_fields = ["last_polled_at", "last_poll_status", "last_poll_error"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Mentions keep their source (PROTECT): pause a source instead of deleting it.
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        return fields if request.user.is_superuser else [f for f in fields if f != "tenant"]

    def save_through_service(self, request: HttpRequest, obj: Any, form: Any, change: bool, *, tenant: Any) -> Any:
        data = _form_data(form, sources.SOURCE_FIELDS)
        if change:
            return sources.source_update(tenant=tenant, actor=request.user, source=obj, data=data)
        return sources.source_create(tenant=tenant, actor=request.user, data=data)


class KeywordRuleAdminForm(forms.ModelForm):
    class Meta:
        model = KeywordRule
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields

    def clean_term(self) -> str:
        return sources.keyword_term_clean(self.cleaned_data.get("term"))


@admin.register(KeywordRule)
class KeywordRuleAdmin(ServiceSavedAdmin):
    form = KeywordRuleAdminForm
    list_display = ["term", "kind", "category", "weight", "field", "is_active"]
    list_filter = ["kind", "category", "field", "is_active"]
    search_fields = ["term", "category"]
    list_editable = ["weight", "is_active"]

    def save_through_service(self, request: HttpRequest, obj: Any, form: Any, change: bool, *, tenant: Any) -> Any:
        data = _form_data(form, sources.RULE_FIELDS)
        if change:
            return sources.keyword_rule_update(tenant=tenant, actor=request.user, rule=obj, data=data)
        return sources.keyword_rule_create(tenant=tenant, actor=request.user, data=data)


@admin.register(DictionaryWord)
class DictionaryWordAdmin(TenantScopedAdmin):
    list_display = ["word", "kind"]
    list_filter = ["kind"]
    search_fields = ["word"]


class WarningPolicyAdminForm(forms.ModelForm):
    class Meta:
        model = WarningPolicy
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields
        help_texts = {
            "red_at": _("须满足 蓝 < 黄 < 橙 < 红，最高 100。"),
            "story_window_hours": _("1 – %(max)d 小时。") % {"max": sources.MAX_WINDOW_HOURS},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            sources.validate_thresholds(data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                for message in errors:
                    self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(WarningPolicy)
class WarningPolicyAdmin(ServiceSavedAdmin):
    form = WarningPolicyAdminForm
    list_display = ["__str__", "blue_at", "yellow_at", "orange_at", "red_at", "label_style", "story_window_hours"]

    def save_through_service(self, request: HttpRequest, obj: Any, form: Any, change: bool, *, tenant: Any) -> Any:
        # One policy per tenant: adding it and changing it are the same write.
        data = _form_data(form, sources.POLICY_FIELDS)
        return sources.warning_policy_update(tenant=tenant, actor=request.user, data=data)


@admin.register(WarningRoute)
class WarningRouteAdmin(ServiceSavedAdmin):
    list_display = [
        "name",
        "min_level",
        "channel",
        "quiet_start",
        "quiet_end",
        "quiet_on_non_working_days",
        "is_active",
    ]
    list_filter = ["min_level", "is_active", "quiet_on_non_working_days"]
    search_fields = ["name"]

    def save_through_service(self, request: HttpRequest, obj: Any, form: Any, change: bool, *, tenant: Any) -> Any:
        data = {name: form.cleaned_data.get(name, getattr(obj, name)) for name in ROUTE_FIELDS}
        if change:
            return warning_route_update(tenant=tenant, actor=request.user, route=obj, **data)
        return warning_route_create(tenant=tenant, actor=request.user, **data)


@admin.register(IngestToken)
class IngestTokenAdmin(TenantScopedAdmin):
    """Look-up and revoke only: a token is made in the portal, which shows its clear value once."""

    list_display = ["name", "prefix", "source", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    fields = ["name", "prefix", "source", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[IngestToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            ingest_token_revoke(tenant=token.tenant, actor=request.user, token=token)
            count += 1
        self.message_user(
            request, ngettext("已吊销 %(n)d 个令牌。", "已吊销 %(n)d 个令牌。", count) % {"n": count}, messages.SUCCESS
        )

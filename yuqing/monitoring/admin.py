"""Admin of monitoring configuration, tenant-scoped: sources, keyword rules, the tenant's own dictionary,
the warning policy, warning routes and (read-mostly) ingestion tokens.

The forms run the same checks as the portal's settings services (services/sources.py): a feed URL only
on a feed source, 蓝 < 黄 < 橙 < 红 thresholds, one rule per term and kind. Tokens are created and
rotated in the portal, which shows the clear value once; here they can be looked up and revoked.
Mentions, stories and warnings are worked in the portal, where triage and the warnings services keep
their history; they are not edited here.
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

from yuqing.monitoring.forms import https_urls
from yuqing.monitoring.models import DictionaryWord, IngestToken, KeywordRule, Source, WarningPolicy, WarningRoute
from yuqing.monitoring.services.feed_fetch import feed_url_problem
from yuqing.monitoring.services.sources import MAX_WINDOW_HOURS, validate_thresholds
from yuqing.monitoring.services.tokens import ingest_token_revoke
from yuqing.tenancy.admin import TenantScopedAdmin


class SourceAdminForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields (and hides the tenant from tenant admins)
        formfield_callback = https_urls

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, feed_url = data.get("kind"), data.get("feed_url")
        if kind == Source.Kind.FEED and not feed_url:
            self.add_error("feed_url", _("RSS/Atom 订阅类信息源需要填写订阅地址。"))
        if feed_url and kind and kind != Source.Kind.FEED:
            self.add_error("feed_url", _("只有 RSS/Atom 订阅类信息源才填写订阅地址。"))
        if feed_url and (problem := feed_url_problem(feed_url)):
            self.add_error("feed_url", problem)
        minutes = data.get("poll_minutes")
        if minutes is not None and not 5 <= minutes <= 24 * 60:
            self.add_error("poll_minutes", _("抓取间隔须在 5 分钟到 1440 分钟（一天）之间。"))
        return data


@admin.register(Source)
class SourceAdmin(TenantScopedAdmin):
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


class KeywordRuleAdminForm(forms.ModelForm):
    class Meta:
        model = KeywordRule
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields

    def clean_term(self) -> str:
        term = (self.cleaned_data.get("term") or "").strip()
        if any(ch.isspace() for ch in term):
            raise ValidationError(_("词语中不能有空格；多个词请分别添加。"))
        return term


@admin.register(KeywordRule)
class KeywordRuleAdmin(TenantScopedAdmin):
    form = KeywordRuleAdminForm
    list_display = ["term", "kind", "category", "weight", "field", "is_active"]
    list_filter = ["kind", "category", "field", "is_active"]
    search_fields = ["term", "category"]
    list_editable = ["weight", "is_active"]


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
            "story_window_hours": _("1 – %(max)d 小时。") % {"max": MAX_WINDOW_HOURS},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            validate_thresholds(data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                for message in errors:
                    self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(WarningPolicy)
class WarningPolicyAdmin(TenantScopedAdmin):
    form = WarningPolicyAdminForm
    list_display = ["__str__", "blue_at", "yellow_at", "orange_at", "red_at", "label_style", "story_window_hours"]


@admin.register(WarningRoute)
class WarningRouteAdmin(TenantScopedAdmin):
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

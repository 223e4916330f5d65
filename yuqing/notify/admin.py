"""Admin of notification channels and their deliveries, tenant-scoped.

Webhook URLs, signing secrets and @-mentioned mobiles are write-only: the form has empty fields
for new values (left blank, the stored value stays) and pages show only the masked forms. Saving
goes through the channel services (checks, encryption, audit event with masked values only).
Deliveries are a read-only record; failed ones can be queued again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yuqing.notify.forms import CHANNEL_FIELDS, ChannelFormBase
from yuqing.notify.models import Channel, Delivery
from yuqing.notify.services import channel_create, channel_update, deliveries_retry
from yuqing.notify.services.probe import channel_send_test
from yuqing.tenancy.access import client_ip
from yuqing.tenancy.admin import TenantScopedAdmin
from yuqing.tenancy.models import Tenant


class ChannelAdminForm(ChannelFormBase):
    """The shared channel form (yuqing.notify.forms), with the tenant chosen by a superuser."""

    admin_tenant: Tenant | None = None  # set by ChannelAdmin.get_form for tenant admins

    class Meta(ChannelFormBase.Meta):
        fields = ["tenant", *CHANNEL_FIELDS]

    def _tenant(self) -> Tenant | None:
        if self.instance.pk:
            return self.instance.tenant
        return self.admin_tenant or self.cleaned_data.get("tenant")

    def channel_tenant(self) -> Tenant | None:
        return self._tenant()


@admin.register(Channel)
class ChannelAdmin(TenantScopedAdmin):
    form = ChannelAdminForm
    list_display = [
        "name",
        "kind",
        "webhook_url_masked",
        "secret_masked",
        "mention_mobiles_masked",
        "rate_limit_display",
        "is_active",
        "last_success_at",
        "last_error_code",
        "last_error_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    readonly_fields = [
        "webhook_url_masked",
        "secret_masked",
        "mention_mobiles_masked",
        "last_success_at",
        "last_error_at",
        "last_error_code",
        "last_error_message",
    ]
    actions = ["send_test_message"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "name",
            "kind",
            "is_active",
            "sla_escalations",
            "new_webhook_url",
            "new_secret",
            "clear_secret",
            "new_mention_mobiles",
            "clear_mention_mobiles",
            "email_recipients",
            "department",
            "target_roles",
            "rate_limit_per_minute",
        ]
        if request.user.is_superuser and obj is None:
            fields.insert(0, "tenant")
        if obj is not None:
            fields += self.readonly_fields
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly_fields) if obj is not None else []

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if obj is not None:
            exclude.append("tenant")  # a channel stays in its tenant
        return exclude

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_tenant = self._scope_tenant(request)
        return form

    @admin.display(description=_("每分钟上限"))
    def rate_limit_display(self, channel: Channel) -> str:
        return str(channel.rate_limit) if channel.rate_limit else "—"

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        tenant = obj.tenant if change else form._tenant()
        ip_address = client_ip(request)
        if change:
            saved = channel_update(
                tenant=tenant, actor=request.user, channel=obj, data=form.channel_data, ip_address=ip_address
            )
        else:
            saved = channel_create(tenant=tenant, actor=request.user, data=form.channel_data, ip_address=ip_address)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("发送测试消息"))
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        queued = 0
        for channel in queryset.select_related("tenant"):
            delivery = channel_send_test(tenant=channel.tenant, actor=request.user, channel=channel)
            queued += delivery is not None
        self.message_user(
            request,
            ngettext("已为 %(count)d 个渠道排队发送测试消息。", "已为 %(count)d 个渠道排队发送测试消息。", queued)
            % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    """The record of what was sent where: read-only. Failed deliveries can be queued again."""

    list_display = [
        "created_at",
        "channel",
        "title",
        "level",
        "status",
        "attempts",
        "next_attempt_at",
        "error_code",
        "sent_at",
        "digest",
    ]
    list_filter = ["status", "level", "channel__kind"]
    search_fields = ["title", "dedupe_key", "error_code"]
    list_select_related = ["channel", "digest"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("重新发送所选的失败消息"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        by_tenant: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in queryset.filter(status=Delivery.Status.FAILED).select_related("tenant"):
            by_tenant[delivery.tenant_id].append(delivery)
        retried = 0
        for rows in by_tenant.values():
            retried += deliveries_retry(
                tenant=rows[0].tenant, actor=request.user, deliveries=rows, ip_address=client_ip(request)
            )
        self.message_user(
            request,
            ngettext("已重新排队 %(count)d 条消息。", "已重新排队 %(count)d 条消息。", retried) % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )
